/**
 * Errors of the ONNX converter. Everything a reader throws for bad bytes is a `FormatError` (with
 * the byte offset where decoding failed); everything that is valid ONNX but cannot be
 * represented is an `UnsupportedOpError`, listing every offending node at once.
 */
import { FormatError, MoError, UnsupportedOpError, type ErrorContext } from '@mo/ir';

/** One construct the converter cannot handle. */
export interface UnsupportedItem {
  /** Node name (or value name for unsupported value types). */
  readonly node?: string;
  /** ONNX op type (with its domain when not the default one). */
  readonly op?: string;
  /** Opset version the node was resolved against. */
  readonly version?: number;
  readonly reason: string;
}

/**
 * Thrown by `loadOnnx`/`saveOnnx` when some nodes cannot be converted. `items` lists all of them,
 * so that one run reports the whole gap, not just the first node.
 *
 * @example
 * ```ts
 * try { await loadOnnx('model.onnx'); }
 * catch (e) { if (e instanceof UnsupportedNodesError) for (const i of e.items) console.log(i.node, i.op, i.reason); }
 * ```
 */
export class UnsupportedNodesError extends UnsupportedOpError {
  readonly items: readonly UnsupportedItem[];
  /** `noun` names what the items are ('node', 'construct'); `where` says where ('for ONNX opset 13'). */
  constructor(items: readonly UnsupportedItem[], noun: string, ctx: ErrorContext = {}, where = '') {
    const shown = items.slice(0, 20).map(describeItem).join('; ');
    const more = items.length > 20 ? `; ... and ${items.length - 20} more` : '';
    const first = items[0];
    super(`${items.length} unsupported ${noun}${items.length === 1 ? '' : 's'}${where ? ` ${where}` : ''}: ${shown}${more}`, {
      ...ctx,
      ...(first?.node !== undefined ? { node: first.node } : {}),
      ...(first?.op !== undefined ? { op: first.op } : {}),
    });
    this.items = items;
  }
}

function describeItem(i: UnsupportedItem): string {
  const where = [i.node !== undefined ? `'${i.node}'` : undefined, i.op !== undefined ? `${i.op}${i.version !== undefined ? `-${i.version}` : ''}` : undefined].filter(Boolean).join(' ');
  return where ? `${where}: ${i.reason}` : i.reason;
}

/**
 * Thrown inside a conversion rule to mark the current node as unsupported; the importer collects
 * these and reports them together.
 */
export class RuleRejection extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Marks the node being converted as unsupported. */
export function reject(reason: string): never {
  throw new RuleRejection(reason);
}

/**
 * Turns whatever escapes the decoder into a `FormatError` (the decoder's own errors already are
 * one, with the byte offset), keeping a byte offset the message carries.
 */
export function decodeError(e: unknown, what: string, ctx: ErrorContext = {}): MoError {
  if (e instanceof MoError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  let offset: number | undefined;
  const m = /index out of range: (\d+)/.exec(msg) ?? /at offset (\d+)/.exec(msg);
  if (m) offset = Number(m[1]);
  const detail = /call stack/i.test(msg) ? 'messages nested too deeply' : msg;
  const err = new FormatError(`cannot decode ${what}: ${detail}`, { ...ctx, ...(offset !== undefined ? { offset } : {}) });
  (err as { cause?: unknown }).cause = e;
  return err;
}
