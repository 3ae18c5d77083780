import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it, vi } from 'vitest';

it('the README example runs as written (10 lines)', async () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const code = /```ts\n([\s\S]*?)```/.exec(readme)![1];
  expect(code.trim().split('\n').length).toBeLessThanOrEqual(10);
  const src = fileURLToPath(new URL('../src/index.ts', import.meta.url));
  const dir = mkdtempSync(join(fileURLToPath(new URL('.', import.meta.url)), '.readme-'));
  const file = join(dir, 'example.ts');
  writeFileSync(file, code.replace("from '@mo/quantize'", `from ${JSON.stringify(src)}`));
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await import(file);
    const printed = log.mock.calls.map((c) => String(c[0]));
    expect(printed[0]).toMatch(/^quantize int8-static: 8 layers, 8 calibration samples/);
    expect(printed[0]).toMatch(/output 'logits': SQNR \d+/);
    expect(printed[1]).toBe('QuantizeLinear QLinearConv MaxPool QLinearConv MaxPool QLinearConv QLinearGlobalAveragePool Flatten QGemm DequantizeLinear');
  } finally {
    log.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  }
});
