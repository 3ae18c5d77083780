import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it, vi } from 'vitest';

it('the README example runs as written', async () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)![1];
  expect(code.trim().split('\n').length).toBeLessThanOrEqual(11);
  const src = fileURLToPath(new URL('../src/index.ts', import.meta.url));
  const dir = mkdtempSync(join(fileURLToPath(new URL('.', import.meta.url)), '.readme-'));
  const file = join(dir, 'example.ts');
  writeFileSync(file, code.replace("from '@mo/kernels-neon-wasm'", `from ${JSON.stringify(src)}`));
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await import(file);
    const [probs, fallback] = log.mock.calls[0] as [number[], unknown[]];
    expect(probs).toHaveLength(8);
    for (const p of probs) expect(p).toBeCloseTo(0.25, 6);
    expect(fallback).toEqual([]);
  } finally {
    log.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  }
});
