/** Tests run exports through the package's own LiteRT.js runner (src/litert.ts). */
export { runTflite, compileTflite, loadLiteRt } from '../../src/litert.js';
