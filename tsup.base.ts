import type { Options } from 'tsup';

/** The one tsup configuration every package uses: ESM + CJS + .d.ts + sourcemaps. */
export function packageConfig(entry: Record<string, string>, overrides: Options = {}): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { composite: false } },
    sourcemap: true,
    clean: true,
    target: 'es2022',
    splitting: true,
    treeshake: true,
    outDir: 'dist',
    ...overrides,
  };
}
