/**
 * The package as a browser gets it: a page importing the built ESM (dist/, with @mo/ir and
 * @mo/models' dist through an import map) runs MobileNetV2 in headless Chromium (Debian
 * `chromium`, driven by playwright-core) and must match the same session run in Node. Served
 * cross-origin isolated (COOP/COEP), the page has SharedArrayBuffer and runs 2 threads on Web
 * Workers sharing the wasm memory: bitwise equal to one thread. Served without isolation, asking for
 * 2 threads gives 1.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const distOf = (pkg: string) => dirname(require.resolve(pkg)); // the package's dist/index.cjs -> dist/
const roots: Record<string, string> = {
  '/mo/': join(here, '..', 'dist'),
  '/ir/': distOf('@mo/ir'),
  '/models/': distOf('@mo/models'),
  '/case/': join(here, 'browser'),
};

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>mo kernels browser test</title>
<script type="importmap">
{ "imports": { "@mo/ir": "/ir/index.js", "@mo/models": "/models/index.js", "@mo/kernels-neon-wasm": "/mo/index.js" } }
</script>
<script type="module">
import { runCase } from '/case/model-case.mjs';
import { hardwareConfig } from '@mo/kernels-neon-wasm';
window.moRunCase = runCase;
window.moConfig = hardwareConfig();
</script>`;

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.map': 'application/json', '.html': 'text/html' };

function serve(): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // the isolated page gets COOP/COEP (crossOriginIsolated: SharedArrayBuffer, shared wasm memory)
    const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (url.pathname === '/isolated.html' || url.pathname === '/plain.html') {
      res.writeHead(200, { 'Content-Type': 'text/html', ...(url.pathname === '/isolated.html' ? isolation : {}) });
      res.end(PAGE);
      return;
    }
    const prefix = Object.keys(roots).find((p) => url.pathname.startsWith(p));
    const file = prefix ? normalize(join(roots[prefix], url.pathname.slice(prefix.length))) : undefined;
    if (!prefix || !file || !file.startsWith(roots[prefix] + sep) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cross-Origin-Resource-Policy': 'same-origin', ...isolation });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

interface CaseResult {
  threads: number;
  fallbackOps: number;
  logits: number[];
  repeat: number[];
}

let server: Server;
let context: BrowserContext;
let userDataDir: string;
let origin: string;
const pageErrors: string[] = [];

async function open(path: string): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
  await page.goto(origin + path);
  await page.waitForFunction(() => 'moRunCase' in window, undefined, { timeout: 45_000 }).catch((e) => {
    throw new Error(`the page did not load the package: ${pageErrors.join('; ') || e}`);
  });
  return page;
}

const runIn = (page: Page, threads: number) => page.evaluate((t) => (window as unknown as { moRunCase(t: number): Promise<CaseResult> }).moRunCase(t), threads);

describe('browser (headless Chromium)', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does`);
    for (const [p, dir] of Object.entries(roots)) if (!existsSync(join(dir, p === '/case/' ? 'model-case.mjs' : 'index.js'))) throw new Error(`${dir} is not built: run npx nx run-many -t build`);
    server = await serve();
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    userDataDir = mkdtempSync(join(tmpdir(), 'mo-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      timeout: 60_000,
    });
  }, 90_000); // Chromium starts in ~1 s on a quiet machine, far slower on a loaded one

  afterAll(async () => {
    await context?.close();
    server?.close();
    // Chromium may still be writing its profile just after close: retry the removal
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }, 60_000);

  it('runs MobileNetV2 from the ESM build like Node, and 2 Web Worker threads give the 1-thread bits', async () => {
    const { runCase } = await import('./browser/model-case.mjs');
    const node = await runCase(1);
    const page = await open('/isolated.html');
    const config = await page.evaluate(() => ({ ...(window as unknown as { moConfig: object }).moConfig, isolated: crossOriginIsolated }));
    expect(config).toMatchObject({ simd: true, threads: true, isolated: true });
    const one = await runIn(page, 1);
    const two = await runIn(page, 2);
    expect(pageErrors).toEqual([]);
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    expect(one.logits.length).toBe(1000);
    expect(one.fallbackOps).toBe(node.fallbackOps);
    // the same wasm kernels and plan in both engines: equal to the bit (within 1e-6 would be the fallback)
    expect(Float32Array.from(one.logits)).toEqual(Float32Array.from(node.logits));
    expect(Float32Array.from(two.logits)).toEqual(Float32Array.from(one.logits));
    expect(Float32Array.from(two.repeat)).toEqual(Float32Array.from(two.logits));
    expect(new Set(one.logits).size).toBeGreaterThan(900); // a real output, not a constant
    await page.close();
  }, 120_000); // ~10 s on a quiet machine

  it('without cross-origin isolation, asking for 2 threads runs on 1 with the same result', async () => {
    const page = await open('/plain.html');
    const isolated = await page.evaluate(() => crossOriginIsolated);
    expect(isolated).toBe(false);
    const r = await runIn(page, 2);
    expect(pageErrors).toEqual([]);
    expect(r.threads).toBe(1);
    const { runCase } = await import('./browser/model-case.mjs');
    expect(Float32Array.from(r.logits)).toEqual(Float32Array.from((await runCase(1)).logits));
    await page.close();
  }, 120_000);
});
