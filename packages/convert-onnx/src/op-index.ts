/**
 * Lookups into the op table: by ONNX (domain, op) for import, by IR op for export.
 */
import { findSchema } from '@mo/ir';
import { OP_TABLE } from './op-table.js';
import type { OpRule } from './rules.js';

const byOnnx = new Map<string, OpRule>();
const byIr = new Map<string, OpRule>();
for (const r of OP_TABLE) {
  const key = `${r.domain}\u0000${r.op}`;
  if (byOnnx.has(key)) throw new Error(`op table: ${r.domain || 'ai.onnx'}.${r.op} is listed twice`);
  byOnnx.set(key, r);
  // Export prefers the default domain when an IR op has several ONNX spellings (Gelu).
  if (!r.composite && r.ir.length === 1 && r.ir[0] === r.op && (!byIr.has(r.op) || r.domain === '')) byIr.set(r.op, r);
}

/**
 * The rule for an ONNX op, or undefined when the converter does not know it.
 *
 * @example
 * ```ts
 * findImportRule('', 'Reshape')?.steps.map((s) => `${s.at}: ${s.doc}`);
 * ```
 */
export function findImportRule(domain: string, op: string): OpRule | undefined {
  return byOnnx.get(`${domain}\u0000${op}`);
}

/**
 * The rule that writes IR op `op`, or undefined when it has no ONNX form.
 *
 * @example
 * ```ts
 * findExportRule('Gelu')?.since; // 20: written as arithmetic below that
 * ```
 */
export function findExportRule(op: string): OpRule | undefined {
  return byIr.get(op);
}

/** True when every IR op the rule produces is registered in this build of @mo/ir. */
export function ruleAvailable(r: OpRule): boolean {
  return r.ir.every((op) => findSchema(op) !== undefined);
}

/**
 * The ONNX ops the importer handles with the IR it runs against.
 *
 * @example
 * ```ts
 * console.log(supportedOnnxOps().length, 'ONNX ops supported');
 * ```
 */
export function supportedOnnxOps(): { op: string; domain: string; since: number }[] {
  return OP_TABLE.filter(ruleAvailable).map((r) => ({ op: r.op, domain: r.domain, since: r.since }));
}
