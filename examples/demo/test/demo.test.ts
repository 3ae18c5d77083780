import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('demo', () => {
  it('prints the summary and a probability vector per image, and the optimized graph agrees', () => {
    const script = fileURLToPath(new URL('../demo.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/graph 'small-cnn'/);
    expect(r.stdout).toMatch(/MACs: +\S/);
    const rows = [...r.stdout.matchAll(/image \d: \[([^\]]+)\]/g)].map((m) => m[1].split(', ').map(Number));
    expect(rows).toHaveLength(2);
    for (const p of rows) expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
    expect(r.stdout).toMatch(/BatchNormalization/);
    const after = r.stdout.split('after optimize()')[1];
    expect(after).not.toMatch(/BatchNormalization/);
    expect(after).not.toMatch(/Relu x|Clip x/);
  });
});
