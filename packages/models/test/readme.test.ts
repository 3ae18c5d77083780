/**
 * The README's example runs as written, and its table says what graphStats measures.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it, vi } from 'vitest';
import { graphStats } from '@mo/ir';
import { MODEL_NAMES, countParameters, modelZoo } from '../src/index.js';

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');

it('the README example runs as written', async () => {
  const code = /```ts\n([\s\S]*?)```/.exec(readme)![1];
  expect(code.trim().split('\n').length).toBeLessThanOrEqual(10);
  const src = fileURLToPath(new URL('../src/index.ts', import.meta.url));
  const dir = mkdtempSync(join(fileURLToPath(new URL('.', import.meta.url)), '.readme-'));
  const file = join(dir, 'example.ts');
  writeFileSync(file, code.replace("from '@mo/models'", `from ${JSON.stringify(src)}`));
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await import(file);
    const printed = log.mock.calls.map((c) => c.map(String).join(' '));
    expect(printed[0]).toBe('MobileNetV2: 3538986 parameters, 300774272 MACs');
    expect(printed[1]).toBe('2,10 251562');
  } finally {
    log.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  }
});

it('the README table matches graphStats and countParameters', () => {
  const rows = new Map<string, string[]>();
  for (const line of readme.split('\n')) {
    const m = /^\| `(\w+)` \|(.*)\|$/.exec(line);
    if (m) rows.set(m[1], m[2].split('|').map((s) => s.trim()));
  }
  expect([...rows.keys()]).toEqual([...MODEL_NAMES]);
  for (const name of MODEL_NAMES) {
    const info = modelZoo[name];
    const g = info.build({ batch: 1 });
    const s = graphStats(g);
    const [input, params, learnable, macs] = rows.get(name)!;
    expect(input, name).toBe(info.inputShape.join('x'));
    expect(params, name).toBe(`${(s.parameters / 1e6).toFixed(2)} M`);
    expect(learnable, name).toBe(countParameters(g).learnable.toLocaleString('en-US'));
    expect(macs, name).toBe(`${(s.macs! / 1e6).toFixed(2)} M`);
  }
});
