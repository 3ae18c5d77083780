import type { Graph, Tensor } from '@mo/ir';

export declare const RESOLUTION: number;
export declare function buildGraph(): Graph;
export declare function image(): Tensor<'float32'>;
export declare function runCase(threads: number): Promise<{ threads: number; fallbackOps: number; logits: number[]; repeat: number[] }>;
