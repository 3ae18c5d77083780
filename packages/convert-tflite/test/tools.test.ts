/** Generated files are up to date, and the README example runs as written. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tfliteOpsMarkdown } from '../src/index.js';

const root = join(__dirname, '../../..');
const hasFlatc = spawnSync('flatc', ['--version']).status === 0;

describe('generated files', () => {
  it('docs/tflite-ops.md matches the op tables', () => {
    expect(readFileSync(join(root, 'docs/tflite-ops.md'), 'utf8')).toBe(tfliteOpsMarkdown());
  });

  // CI installs flatbuffers-compiler, so there a missing flatc fails instead of skipping.
  it.skipIf(!hasFlatc && !process.env.CI)('src/schema/generated matches `flatc --ts` of src/schema/tflite.fbs (skipped when flatc is not installed)', () => {
    const out = execFileSync(process.execPath, [join(root, 'tools/tflite-gen-schema.mjs'), '--check'], { encoding: 'utf8' });
    expect(out).toContain('up to date');
  });
});

describe('README', () => {
  it('the example runs as written', async () => {
    const readme = readFileSync(join(__dirname, '../README.md'), 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(readme)![1];
    // Written next to the tests so that '@mo/models' resolves as it does for users of the workspace.
    const file = join(__dirname, `.readme-example-${process.pid}.ts`);
    writeFileSync(file, code.replace("'@mo/convert-tflite'", JSON.stringify('../src/index.js')));
    const lines: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => lines.push(a.join(' '));
    try {
      await import(file);
    } finally {
      console.log = log;
      rmSync(file, { force: true });
    }
    const [size, half, nodes] = lines[0].split(' ').map(Number);
    expect(size).toBeGreaterThan(1e6);
    expect(half).toBeLessThan(size * 0.6);
    expect(nodes).toBeGreaterThan(50);
  });
});
