import type { OpSchema } from './schema.js';

/** Ops of this family (filled in by their implementation). */
export const resizeOps: readonly OpSchema[] = [];
