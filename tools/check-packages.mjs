#!/usr/bin/env node
// Tests every publishable package as a user gets it: packs it, unpacks the tarball into a scratch
// node_modules, then in fresh Node processes imports it as ESM and requires it as CJS and runs a
// smoke check; lints the package with publint and checks its types with are-the-types-wrong.
// Prints "N passed, N failed" at the end. Run after `npm run build`.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = join(root, 'packages');
let passed = 0;
let failed = 0;
const check = (name, ok, detail = '') => {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `\n     ${detail.split('\n').join('\n     ')}` : ''}`);
};

const scratch = mkdtempSync(join(tmpdir(), 'mo-pkg-'));
const modules = join(scratch, 'node_modules');
mkdirSync(modules, { recursive: true });

const pkgs = readdirSync(packagesDir)
  .map((d) => join(packagesDir, d))
  .filter((d) => existsSync(join(d, 'package.json')))
  .map((dir) => ({ dir, json: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter((p) => !p.json.private);

// Unpack every package first so that packages depending on each other resolve to packed copies.
for (const p of pkgs) {
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', scratch], { cwd: p.dir, encoding: 'utf8' }).trim().split('\n').pop();
  const target = join(modules, ...p.json.name.split('/'));
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', join(scratch, out), '-C', target, '--strip-components=1']);
}
// Third-party runtime and peer dependencies come from the workspace install.
for (const p of pkgs) {
  for (const dep of [...Object.keys(p.json.dependencies ?? {}), ...Object.keys(p.json.peerDependencies ?? {})]) {
    if (dep.startsWith('@mo/')) continue;
    const src = join(root, 'node_modules', dep);
    const dst = join(modules, dep);
    if (existsSync(src) && !existsSync(dst)) {
      mkdirSync(dirname(dst), { recursive: true });
      symlinkSync(src, dst, 'dir');
    }
  }
}

for (const p of pkgs) {
  const name = p.json.name;
  const target = join(modules, ...name.split('/'));
  const entries = Object.keys(p.json.exports ?? { '.': null }).filter((k) => k !== './package.json');
  for (const entry of entries) {
    const spec = entry === '.' ? name : `${name}/${entry.slice(2)}`;
    const esm = spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(spec)}); if (Object.keys(m).length === 0) throw new Error('no exports'); console.log(Object.keys(m).length);`], { cwd: scratch, encoding: 'utf8' });
    check(`${spec}: ESM import in a fresh process`, esm.status === 0, esm.status === 0 ? '' : esm.stderr);
    const cjs = spawnSync(process.execPath, ['-e', `const m = require(${JSON.stringify(spec)}); if (Object.keys(m).length === 0) throw new Error('no exports'); console.log(Object.keys(m).length);`], { cwd: scratch, encoding: 'utf8' });
    check(`${spec}: CJS require in a fresh process`, cjs.status === 0, cjs.status === 0 ? '' : cjs.stderr);
    if (esm.status === 0 && cjs.status === 0) check(`${spec}: ESM and CJS expose the same exports`, esm.stdout.trim() === cjs.stdout.trim(), `${esm.stdout.trim()} vs ${cjs.stdout.trim()}`);
  }
  const smoke = join(p.dir, 'test', 'smoke.packaged.mjs');
  if (existsSync(smoke)) {
    cpSync(smoke, join(scratch, `${name.replace('/', '_')}-smoke.mjs`));
    const r = spawnSync(process.execPath, [join(scratch, `${name.replace('/', '_')}-smoke.mjs`)], { cwd: scratch, encoding: 'utf8' });
    check(`${name}: packaged smoke script`, r.status === 0, r.status === 0 ? '' : r.stderr + r.stdout);
  }
  const { messages } = await publint({ pkgDir: target, strict: true, level: 'warning' });
  check(`${name}: publint`, messages.length === 0, messages.map((m) => formatMessage(m, p.json)).join('\n'));
  const attw = spawnSync(join(root, 'node_modules', '.bin', 'attw'), ['--pack', p.dir, '--profile', 'node16', '--format', 'ascii', '--no-color'], { cwd: root, encoding: 'utf8' });
  check(`${name}: are-the-types-wrong`, attw.status === 0, attw.status === 0 ? '' : attw.stdout + attw.stderr);
}

rmSync(scratch, { recursive: true, force: true });
console.log(`\npackaging: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
