/**
 * The compiled kernel against a float64 reference, for every instruction set this CPU runs: random shapes with
 * odd sizes, 1×N and N×1, each transpose, bias and ReLU, operands inside a WebAssembly.Memory that grows.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { nativeKernels, unavailableReason, type NativeKernels } from '../src/index.ts';
import { reference, seeded, wasmMemory } from './reference.ts';

const native = nativeKernels();

function hasCompiler(): boolean {
  try {
    execFileSync(process.env.CXX ?? 'c++', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

it('is built wherever a C++ compiler is (the install compiles it)', () => {
  // Without a compiler the install skips the build and this says why; with one, a missing kernel is a bug.
  if (hasCompiler()) expect(unavailableReason()).toBe('');
  else expect(unavailableReason()).toMatch(/not built|does not load/);
});

describe.skipIf(!native)('gemm', () => {
  const kernels = native as NativeKernels;
  const best = kernels?.isa();
  afterAll(() => kernels.useIsa(best!));

  it('picks the best instruction set the CPU runs', () => {
    expect(kernels.isas()[0]).toBe(kernels.isa());
    expect(kernels.isas()).toContain(process.arch === 'arm64' ? 'neon' : 'portable');
  });

  for (const isa of native?.isas() ?? []) {
    it(`${isa}: equals a float64 reference on random shapes, transposes, bias and ReLU`, () => {
      kernels.useIsa(isa);
      const random = seeded(isa.length);
      const shapes: [number, number, number][] = [[1, 1, 1], [1, 37, 5], [37, 1, 5], [6, 16, 1], [7, 17, 300], [1, 200, 33], [200, 1, 33], [13, 70, 257], [64, 48, 0]];
      for (let i = 0; i < 20; i++) shapes.push([1 + Math.floor(random() * 50), 1 + Math.floor(random() * 90), 1 + Math.floor(random() * 400)]);
      const memory = wasmMemory(1, 2000);
      let checked = 0;
      for (const [m, n, k] of shapes)
        for (const transA of [false, true])
          for (const transB of [false, true]) {
            const bias = random() < 0.5, relu = random() < 0.5;
            // Operands at odd positions of a heap that grows: the kernel must read the buffer it is given.
            const a = 4 * (1 + Math.floor(random() * 7)), b = a + 4 * m * k, c = b + 4 * k * n, d = c + 4 * m * n;
            const pages = Math.ceil((d + 4 * n) / 65536) + 1;
            if (memory.buffer.byteLength < pages * 65536) memory.grow(pages - memory.buffer.byteLength / 65536);
            const heap = new Float32Array(memory.buffer);
            for (let j = 0; j < d / 4 + n; j++) heap[j] = 2 * random() - 1;
            const expected = reference(heap, { m, n, k, a, transA, b, transB, bias: bias ? d : -1, relu });
            kernels.gemm(memory.buffer, m, n, k, a, transA, b, transB, c, bias ? d : -1, relu);
            const got = heap.subarray(c / 4, c / 4 + m * n);
            let worst = 0; // the largest error as a share of its bound
            for (let j = 0; j < m * n; j++) worst = Math.max(worst, Math.abs(got[j]! - expected.values[j]!) / (6e-8 * expected.scale[j]! + 1e-30));
            expect(worst, `${m}x${n}x${k} transA ${transA} transB ${transB} bias ${bias} relu ${relu}`).toBeLessThanOrEqual(1);
            checked++;
          }
      expect(checked).toBe(4 * shapes.length);
    }, 60_000);
  }

  it('refuses operands outside the buffer or misaligned, and bad arguments', () => {
    const buffer = new ArrayBuffer(64);
    expect(() => kernels.gemm(buffer, 4, 4, 4, 0, false, 0, false, 4, -1, false)).toThrow(/outside the buffer/);
    expect(() => kernels.gemm(buffer, 2, 2, 2, 2, false, 0, false, 32, -1, false)).toThrow(/aligned/);
    expect(() => (kernels.gemm as (...args: unknown[]) => void)(buffer, 2, 2)).toThrow(/11 arguments/);
    expect(() => kernels.useIsa('sse9' as never)).toThrow(/not supported/);
  });
});
