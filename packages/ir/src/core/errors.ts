/**
 * The mo error hierarchy. Every error carries structured fields (node, op, pass, file offset) so that
 * tools can point at the culprit without parsing messages.
 */

/** Where an error happened. All fields optional; set what is known. */
export interface ErrorContext {
  /** Name of the graph node involved. */
  node?: string;
  /** Op type of that node. */
  op?: string;
  /** Name of the pass that was running. */
  pass?: string;
  /** File the bytes came from. */
  file?: string;
  /** Byte offset inside the file. */
  offset?: number;
  /** Name of the value (tensor) involved. */
  value?: string;
}

function describe(ctx: ErrorContext): string {
  const parts: string[] = [];
  if (ctx.pass !== undefined) parts.push(`pass '${ctx.pass}'`);
  if (ctx.node !== undefined) parts.push(`node '${ctx.node}'`);
  if (ctx.op !== undefined) parts.push(`op ${ctx.op}`);
  if (ctx.value !== undefined) parts.push(`value '${ctx.value}'`);
  if (ctx.file !== undefined) parts.push(`file '${ctx.file}'`);
  if (ctx.offset !== undefined) parts.push(`offset ${ctx.offset}`);
  return parts.length ? ` [${parts.join(', ')}]` : '';
}

/**
 * Base class of every error mo throws on purpose.
 *
 * @example
 * ```ts
 * try { verify(graph); } catch (e) { if (e instanceof MoError) console.log(e.node, e.op); }
 * ```
 */
export class MoError extends Error {
  readonly node?: string;
  readonly op?: string;
  readonly pass?: string;
  readonly file?: string;
  readonly offset?: number;
  readonly value?: string;
  /** The message without the context suffix. */
  readonly detail: string;

  constructor(message: string, ctx: ErrorContext = {}) {
    super(message + describe(ctx));
    this.name = new.target.name;
    this.detail = message;
    if (ctx.node !== undefined) this.node = ctx.node;
    if (ctx.op !== undefined) this.op = ctx.op;
    if (ctx.pass !== undefined) this.pass = ctx.pass;
    if (ctx.file !== undefined) this.file = ctx.file;
    if (ctx.offset !== undefined) this.offset = ctx.offset;
    if (ctx.value !== undefined) this.value = ctx.value;
  }

  /** The context fields as a plain object (for re-throwing with more context). */
  get context(): ErrorContext {
    const { node, op, pass, file, offset, value } = this;
    return { node, op, pass, file, offset, value };
  }
}

/** An op (or an op/dtype combination) that is not supported. */
export class UnsupportedOpError extends MoError {}

/** Shapes that do not fit the op (rank, broadcasting, sizes). */
export class ShapeError extends MoError {}

/** Element types that do not fit the op or the function. */
export class DTypeError extends MoError {}

/** A graph that breaks the IR's invariants (SSA, dangling names, cycles, types). */
export class VerifyError extends MoError {}

/** Bytes that do not decode as the format they claim to be. */
export class FormatError extends MoError {}

/** An attribute that is missing, of the wrong type, or out of its valid values. */
export class AttributeError extends MoError {}

/** A function argument that is invalid (names that do not exist, out-of-range options, bad feeds). */
export class ArgumentError extends MoError {}

/** Work stopped through an AbortSignal. */
export class AbortError extends MoError {}

/** Throws `AbortError` when the signal has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, ctx: ErrorContext = {}): void {
  if (signal?.aborted) throw new AbortError('operation aborted', ctx);
}

/** Formats a list of valid values for messages: `'a', 'b' or 'c'`. */
export function oneOf(values: readonly (string | number)[]): string {
  const q = values.map((v) => (typeof v === 'string' ? `'${v}'` : String(v)));
  if (q.length <= 1) return q.join('');
  return `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

/**
 * Adds context to an error that lacks it (fields already set win). Non-mo errors pass through
 * unchanged.
 */
export function withContext(e: unknown, ctx: ErrorContext): unknown {
  if (!(e instanceof MoError)) return e;
  const merged: ErrorContext = { ...ctx };
  for (const [k, v] of Object.entries(e.context)) if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
  const sameKeys = (Object.keys(ctx) as (keyof ErrorContext)[]).every((k) => e[k] !== undefined);
  if (sameKeys) return e;
  const Ctor = e.constructor as new (m: string, c: ErrorContext) => MoError;
  const out = new Ctor(e.detail, merged);
  if (e.stack) out.stack = e.stack;
  return out;
}
