/**
 * A quantization report as text: one line per layer, then sizes and output error.
 */
import type { QuantizeReport } from './report-types.js';

const fmt = (x: number | undefined, digits = 2) => (x === undefined ? '-' : Number.isFinite(x) ? x.toFixed(digits) : String(x));
const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`;

/**
 * Formats a report for terminals and logs.
 *
 * @example
 * ```ts
 * const { report } = await quantize(g, { preset: 'int8-weights' });
 * console.log(formatReport(report));
 * ```
 */
export function formatReport(r: QuantizeReport): string {
  const rows = r.layers.map((l) => [
    l.node,
    l.op,
    l.scheme,
    l.scaleRange ? `${l.scaleRange[0].toPrecision(3)}..${l.scaleRange[1].toPrecision(3)}` : l.output ? `out ${l.output.scale.toPrecision(3)}` : '-',
    fmt(l.weightError?.sqnrDb),
    fmt(l.outputSqnrDb),
    l.reason ?? (l.biasCorrected ? 'bias corrected' : ''),
  ]);
  const head = ['node', 'op', 'scheme', 'scales', 'weight dB', 'output dB', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const out = [`quantize ${r.preset}: ${r.layers.length} layers, ${r.samples} calibration samples`, line(head), ...rows.map(line)];
  out.push(`size: ${kb(r.size.before)} -> ${kb(r.size.after)} (${(r.size.ratio * 100).toFixed(1)}%; packed ${(r.size.packedRatio * 100).toFixed(1)}%)`);
  for (const o of r.outputs ?? []) {
    out.push(`output '${o.name}': SQNR ${fmt(o.sqnrDb)} dB, max |error| ${o.maxAbs.toPrecision(3)}${o.top1Agreement !== undefined ? `, top-1 agreement ${(o.top1Agreement * 100).toFixed(1)}%` : ''}`);
  }
  for (const n of r.notes) out.push(`note: ${n}`);
  return out.join('\n');
}
