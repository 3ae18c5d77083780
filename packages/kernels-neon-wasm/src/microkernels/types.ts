/**
 * Microkernel descriptors. A variant's `name` follows `<dtype>-<op>-<isa>-<tile>`; `symbol` is the
 * wasm export implementing it. The variant lists (one per op) drive dispatch, tests and benchmarks.
 */

export type Isa = 'simd128';

export interface MicrokernelVariant {
  /** `<dtype>-<op>-<isa>-<tile>`, e.g. `f32-gemm-simd128-4x8`. */
  readonly name: string;
  readonly isa: Isa;
  /** The wasm export. */
  readonly symbol: string;
}

/** GEMM / IGEMM: MR rows (output pixels) x NR columns (output channels) per tile. */
export interface GemmVariant extends MicrokernelVariant {
  readonly mr: number;
  readonly nr: number;
  /** Export that runs the microkernel over all rows of a problem. */
  readonly tiles: string;
}

/** Depthwise convolution: `taps` per output (0: any number), `channels` per step. */
export interface DwconvVariant extends MicrokernelVariant {
  readonly taps: number;
  readonly channels: number;
}
