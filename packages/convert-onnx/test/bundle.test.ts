/** The package bundles for the browser: Node builtins are reached only through path input. */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { expect, it } from 'vitest';

it('bundles for the browser without Node builtins', async () => {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  expect(result.errors).toEqual([]);
  const code = result.outputFiles[0].text;
  expect(code).not.toMatch(/from ["'](node:)?(fs|path)/);
  expect(code).not.toMatch(/require\(["'](node:)?(fs|path)["']\)/);
});
