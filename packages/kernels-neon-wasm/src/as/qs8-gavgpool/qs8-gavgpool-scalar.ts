// qs8-gavgpool-scalar-nhwc: quantized global average pooling (QLinearGlobalAveragePool) with the
// reference interpreter's rules: dequantize every input (float32, through `lut`: 256 float64
// entries, lut[q + 128] = f32((q - zp) * scale)), sum in float64, divide by the pixel count, then
// quantize: saturate(round_half_even(f32(f32(mean) / y_scale)) + y_zp). The float64 sum of these
// float32 values is exact for any realistic pixel count (their bits span < 53 places), so the
// order of summation does not matter.

export function qs8_gavgpool_scalar_nhwc(n: i32, pixels: i32, channels: i32, x: usize, lut: usize, acc: usize, y: usize, y_scale: f32, y_zp: i32, qmin: i32, qmax: i32): void {
  const count = <f64>pixels;
  for (let b = 0; b < n; b++) {
    memory.fill(acc, 0, <usize>channels << 3);
    for (let p = 0; p < pixels; p++) {
      for (let c = 0; c < channels; c++) {
        const q = <i32>load<i8>(x + <usize>c);
        const pa = acc + (<usize>c << 3);
        store<f64>(pa, load<f64>(pa) + load<f64>(lut + (<usize>(q + 128) << 3)));
      }
      x += <usize>channels;
    }
    for (let c = 0; c < channels; c++) {
      const mean = <f32>(load<f64>(acc + (<usize>c << 3)) / count);
      let r = <i32>nearest<f32>(mean / y_scale) + y_zp;
      r = r < qmin ? qmin : r > qmax ? qmax : r;
      store<i8>(y, <i8>r);
      y += 1;
    }
  }
}
