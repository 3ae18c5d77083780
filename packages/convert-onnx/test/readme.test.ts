import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it, vi } from 'vitest';

it('the README example runs as written', async () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)![1];
  expect(code.trim().split('\n').length).toBeLessThanOrEqual(12);
  const src = fileURLToPath(new URL('../src/index.ts', import.meta.url));
  const dir = mkdtempSync(join(fileURLToPath(new URL('.', import.meta.url)), '.readme-'));
  const file = join(dir, 'example.ts');
  // Same code; only the package specifier and the file location change.
  writeFileSync(file, code.replace("from '@mo/convert-onnx'", `from ${JSON.stringify(src)}`).replaceAll("'tiny.onnx'", JSON.stringify(join(dir, 'tiny.onnx'))));
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await import(file);
    const probs = log.mock.calls[0][0] as number[];
    const e = [Math.E, 1, Math.exp(3), 1];
    const sum = e.reduce((a, b) => a + b);
    probs.forEach((p, i) => expect(p).toBeCloseTo(e[i] / sum, 6));
  } finally {
    log.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  }
});
