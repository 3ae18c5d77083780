import { fileURLToPath } from 'node:url';
import { mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// The README example imports '@mo/train' as users do; tests resolve it to the sources.
export default mergeConfig(shared, {
  resolve: {
    alias: [
      { find: /^@mo\/train\/node$/, replacement: fileURLToPath(new URL('./src/node.ts', import.meta.url)) },
      { find: /^@mo\/train$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
    ],
  },
});
