/** A float64 reference product for the tests, and a seeded random stream. */
export interface Product {
  m: number;
  n: number;
  k: number;
  a: number; // byte offsets into the heap
  transA: boolean;
  b: number;
  transB: boolean;
  bias: number; // −1 for none
  relu: boolean;
}

/**
 * act(op(A) @ op(B) + bias) in float64, and for each element the scale of float32 rounding error it may carry
 * (Σ|a·b| + |bias|, times k for the accumulated roundings, Higham's bound).
 */
export function reference(heap: Float32Array, p: Product): { values: Float64Array; scale: Float64Array } {
  const { m, n, k } = p;
  const A = (i: number, q: number) => heap[p.a / 4 + (p.transA ? q * m + i : i * k + q)]!;
  const B = (q: number, j: number) => heap[p.b / 4 + (p.transB ? j * k + q : q * n + j)]!;
  const values = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let sum = p.bias >= 0 ? heap[p.bias / 4 + j]! : 0;
      let magnitude = Math.abs(sum);
      for (let q = 0; q < k; q++) {
        sum += A(i, q) * B(q, j);
        magnitude += Math.abs(A(i, q) * B(q, j));
      }
      values[i * n + j] = p.relu && sum < 0 ? 0 : sum;
      scale[i * n + j] = (k + 2) * magnitude;
    }
  return { values, scale };
}

/** mulberry32: a small seeded generator, so a failing case can be run again. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A WebAssembly.Memory, as the wasm backend's heap is (this project's TypeScript settings carry no DOM types). */
export interface Memory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
export function wasmMemory(initial: number, maximum: number): Memory {
  const { WebAssembly } = globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => Memory } };
  return new WebAssembly.Memory({ initial, maximum });
}
