/**
 * The README's example runs as written: it is test/readme-example.ts verbatim (checked here),
 * imported from the repository root as the README says.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';

const here = (p: string) => new URL(p, import.meta.url);

describe('README', () => {
  it('holds test/readme-example.ts verbatim as its first example, which runs', async () => {
    const readme = readFileSync(here('../README.md'), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    const example = readFileSync(here('./readme-example.ts'), 'utf8');
    expect(block).toBe(example);
    expect(example.trim().split('\n').length).toBeLessThanOrEqual(10);
    const logs: unknown[][] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void logs.push(a));
    const table = vi.spyOn(console, 'table').mockImplementation(() => undefined);
    const cwd = process.cwd();
    process.chdir(new URL('../../..', import.meta.url).pathname);
    try {
      await import('./readme-example.js');
    } finally {
      process.chdir(cwd);
      log.mockRestore();
      table.mockRestore();
    }
    const accuracy = logs.find((l) => l[0] === 'test accuracy')?.[1] as number;
    expect(accuracy).toBeGreaterThan(0.7);
  });
});
