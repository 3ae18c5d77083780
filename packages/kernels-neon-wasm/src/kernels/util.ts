/** Small helpers shared by the kernel registrations. */
import type { Tensor, TensorType } from '@mo/ir';
import { planActivation, type ActivationPlan } from '../operators/activation.js';
import type { PlanContext } from '../session/registry.js';
import type { Runtime } from '../runtime/module.js';

export const shapeOf = (t: TensorType | Tensor | undefined): number[] => (t ? (t.shape as number[]) : []);
export const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/** The fused activation of a node (its `activation` / `activation_params` attributes). */
export function activationOf(ctx: PlanContext): ActivationPlan {
  return planActivation(ctx.attrs.activation as string | undefined, ctx.attrs.activation_params as number[] | undefined);
}

/** A reason string when input i is not float32. */
export function needF32(ctx: PlanContext, ...idx: number[]): string | undefined {
  for (const i of idx) {
    const t = ctx.inputs[i];
    if (t && t.dtype !== 'float32') return `input ${i} has dtype '${t.dtype}'; the wasm kernels take float32`;
  }
  return undefined;
}

export function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Whether permuting `shape` by `perm` keeps the memory order of its elements (only size-1 axes move). */
export function permKeepsOrder(shape: readonly number[], perm: readonly number[]): boolean {
  const order = perm.filter((p) => shape[p] !== 1);
  for (let i = 1; i < order.length; i++) if (order[i] < order[i - 1]) return false;
  return true;
}

/**
 * The float32 elements of a constant without copying when its storage already is a Float32Array
 * (packing reads it once; a copy per weight would double what packing leaves to the allocator).
 * Read-only: inputs are never mutated.
 */
export function f32Data(t: Tensor): Float32Array {
  return t.dtype === 'float32' && t.data instanceof Float32Array && t.data.length === t.size ? t.data : t.toFloat32();
}

/**
 * Release functions for `ctx.cached`, made here rather than inside a kernel's `plan` so that the
 * cache entry does not keep that call's scope (the unpacked weights) alive with the packed block.
 */
export const releaseHeapBlock = (rt: Runtime) => (p: number): void => rt.heap.release(p);
export const releasePacked = (p: { release(): void }): void => p.release();
