// The blocked product, written once over the SIMD width W (GCC/Clang vector extensions) and compiled once per
// instruction set: W = 16 floats with AVX-512, 8 with AVX2+FMA, 4 with NEON or SSE (the portable build).
//
// Layout as in BLIS (Van Zee & van de Geijn, 2015): C is cut into NC-column and MC-row blocks, the K axis into
// KC slices; each slice of B is packed into NR-column panels and each block of A into MR-row panels (packing is
// where transposed operands are read, so the micro-kernel sees one layout), and an MR x NR register tile of C
// accumulates kc rank-1 updates. Bias is added when the first K slice is stored, ReLU applied on the last.
//
// Included by one .cc file per instruction set, inside an anonymous namespace: each file keeps its own copy
// (one compiled with AVX-512 must never be linked in place of the portable one).
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include "gemm.h"

namespace {

// The vector of W floats (a dependent vector_size is not allowed in a template: one typedef per width).
template <int W> struct Vector;
template <> struct Vector<4> { typedef float type __attribute__((vector_size(16))); };
template <> struct Vector<8> { typedef float type __attribute__((vector_size(32))); };
template <> struct Vector<16> { typedef float type __attribute__((vector_size(64))); };

// A 64-byte aligned packing buffer kept between calls: a fresh one each call would be fresh pages from the
// kernel (mmap, zeroed, faulted in), which cost more than the packing itself.
class PackBuffer {
 public:
  ~PackBuffer() { std::free(data_); }
  float* get(size_t floats) {
    if (floats > capacity_) {
      std::free(data_);
      capacity_ = floats;
      data_ = static_cast<float*>(std::aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64));
      if (!data_) std::abort();
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  size_t capacity_ = 0;
};

thread_local PackBuffer a_buffer, b_buffer;

template <int W>
struct Kernel {
  typedef typename Vector<W>::type vec;
  static constexpr int MR = 6;       // rows of the register tile
  static constexpr int NR = 2 * W;   // columns: two vectors. MR x 2 accumulators + 2 B vectors + 1 broadcast
  static constexpr int KC = 256;     // K slice: an MR x KC panel of A and a KC x NR panel of B stay in L1
  static constexpr int MC = 144;     // rows of A packed at once (fits L2 with KC)
  static constexpr int NC = 4096;    // columns of B packed at once

  static vec load(const float* p) { vec v; std::memcpy(&v, p, sizeof v); return v; }
  static void store(float* p, vec v) { std::memcpy(p, &v, sizeof v); }

  // Panels sit this far apart in the packing buffers: a little more than their size, so that the panels a
  // packing loop writes side by side (or the micro-kernel reads) do not all map to the same cache sets.
  static size_t a_stride(int kc) { return (size_t)kc * MR + 16; }
  static size_t b_stride(int kc) { return (size_t)kc * NR + NR; }

  // op(A)[i0 : i0+mc, p0 : p0+kc] → MR-row panels, k-major inside a panel, rows past m zero.
  static void pack_a(const GemmArgs& g, int i0, int mc, int p0, int kc, float* out) {
    const size_t stride = a_stride(kc);
    if (g.trans_a) {  // A stored [k, m]: read each of its rows once, left to right, into every panel
      for (int p = 0; p < kc; p++) {
        const float* src = g.a + (size_t)(p0 + p) * g.m + i0;
        for (int ir = 0; ir < mc; ir += MR) {
          float* o = out + (size_t)(ir / MR) * stride + (size_t)p * MR;
          const int rows = std::min(MR, mc - ir);
          int i = 0;
          for (; i < rows; i++) o[i] = src[ir + i];
          for (; i < MR; i++) o[i] = 0.f;
        }
      }
      return;
    }
    for (int ir = 0; ir < mc; ir += MR, out += stride) {  // A stored [m, k]: MR rows side by side
      const int rows = std::min(MR, mc - ir);
      const float* src[MR];
      for (int i = 0; i < MR; i++) src[i] = g.a + (size_t)(i0 + ir + std::min(i, rows - 1)) * g.k + p0;
      float* o = out;
      for (int p = 0; p < kc; p++, o += MR)
        for (int i = 0; i < MR; i++) o[i] = i < rows ? src[i][p] : 0.f;
    }
  }

  // op(B)[p0 : p0+kc, j0 : j0+nc] → NR-column panels, k-major inside a panel, columns past n zero.
  static void pack_b(const GemmArgs& g, int p0, int kc, int j0, int nc, float* out) {
    const size_t stride = b_stride(kc);
    if (!g.trans_b) {  // B stored [k, n]: read each of its rows once, left to right, into every panel
      for (int p = 0; p < kc; p++) {
        const float* src = g.b + (size_t)(p0 + p) * g.n + j0;
        for (int jr = 0; jr < nc; jr += NR) {
          float* o = out + (size_t)(jr / NR) * stride + (size_t)p * NR;
          const int cols = std::min(NR, nc - jr);
          if (cols == NR) {
            store(o, load(src + jr));
            store(o + W, load(src + jr + W));
          } else {
            int j = 0;
            for (; j < cols; j++) o[j] = src[jr + j];
            for (; j < NR; j++) o[j] = 0.f;
          }
        }
      }
      return;
    }
    for (int jr = 0; jr < nc; jr += NR, out += stride) {  // B stored [n, k]: each panel column is a row of B
      const int cols = std::min(NR, nc - jr);
      for (int j = 0; j < NR; j++) {
        if (j < cols) {
          const float* src = g.b + (size_t)(j0 + jr + j) * g.k + p0;
          for (int p = 0; p < kc; p++) out[p * NR + j] = src[p];
        } else {
          for (int p = 0; p < kc; p++) out[p * NR + j] = 0.f;
        }
      }
    }
  }

  // The MR x NR tile: acc = Apanel @ Bpanel over kc, then C = (first ? bias : C) + acc, ReLU when last.
  static void micro(int kc, const float* __restrict a, const float* __restrict b, float* c, int ldc, int rows, int cols,
                    bool first, bool last, const float* bias, bool relu) {
    for (int i = 0; i < rows; i++) __builtin_prefetch(c + (size_t)i * ldc, 1);  // C is written after the loop
    vec acc[MR][2];
    for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = vec{};
    for (int p = 0; p < kc; p++) {
      const vec b0 = load(b), b1 = load(b + W);
#pragma GCC unroll 6
      for (int i = 0; i < MR; i++) {
        const float ai = a[i];  // vector * scalar: a broadcast from memory
        acc[i][0] += b0 * ai;
        acc[i][1] += b1 * ai;
      }
      a += MR;
      b += NR;
    }
    vec add0 = {}, add1 = {};
    if (first && bias) {
      float tmp[NR] = {};
      for (int j = 0; j < cols; j++) tmp[j] = bias[j];
      add0 = load(tmp);
      add1 = load(tmp + W);
    }
    if (rows == MR && cols == NR) {  // the common case, with constant bounds: acc stays in registers
      const bool apply = last && relu;
#pragma GCC unroll 6
      for (int i = 0; i < MR; i++) {
        float* row = c + (size_t)i * ldc;
        vec c0 = acc[i][0] + add0, c1 = acc[i][1] + add1;
        if (!first) { c0 += load(row); c1 += load(row + W); }
        if (apply) { c0 = c0 > vec{} ? c0 : vec{}; c1 = c1 > vec{} ? c1 : vec{}; }
        store(row, c0);
        store(row + W, c1);
      }
      return;
    }
    for (int i = 0; i < rows; i++) {
      float* row = c + (size_t)i * ldc;
      float tmp[NR];
      store(tmp, acc[i][0] + add0);
      store(tmp + W, acc[i][1] + add1);
      for (int j = 0; j < cols; j++) {
        float v = tmp[j] + (first ? 0.f : row[j]);
        row[j] = last && relu && v < 0.f ? 0.f : v;
      }
    }
  }

  // One row of C (the column sums ones @ X of bias gradients): no packing, B streamed once. A [1, k] and
  // A [k, 1] are the same k contiguous numbers.
  static void row(const GemmArgs& g) {
    float* c = g.c;
    const int n = g.n, k = g.k;
    if (!g.trans_b) {  // c += a[p] * B[p, :], W columns at a time
      for (int j = 0; j < n; j++) c[j] = g.bias ? g.bias[j] : 0.f;
      for (int p = 0; p < k; p++) {
        const float ap = g.a[p];
        const float* b = g.b + (size_t)p * n;
        int j = 0;
        for (; j + W <= n; j += W) store(c + j, load(c + j) + load(b + j) * ap);
        for (; j < n; j++) c[j] += ap * b[j];
      }
    } else {  // c[j] = a · B[j, :]
      for (int j = 0; j < n; j++) {
        const float* b = g.b + (size_t)j * k;
        vec acc = {};
        int p = 0;
        for (; p + W <= k; p += W) acc += load(g.a + p) * load(b + p);
        float sum = g.bias ? g.bias[j] : 0.f;
        for (int i = 0; i < W; i++) sum += acc[i];
        for (; p < k; p++) sum += g.a[p] * b[p];
        c[j] = sum;
      }
    }
    if (g.relu)
      for (int j = 0; j < n; j++) c[j] = c[j] < 0.f ? 0.f : c[j];
  }

  static void run(const GemmArgs& g) {
    if (g.m == 0 || g.n == 0) return;
    if (g.m == 1 && g.k > 0) return row(g);
    if (g.k == 0) {  // an empty sum: C = act(bias)
      for (int i = 0; i < g.m; i++)
        for (int j = 0; j < g.n; j++) {
          float v = g.bias ? g.bias[j] : 0.f;
          g.c[(size_t)i * g.n + j] = g.relu && v < 0.f ? 0.f : v;
        }
      return;
    }
    const int nc_max = std::min(NC, (g.n + NR - 1) / NR * NR);
    const int kc_max = std::min(KC, g.k);
    const int mc_max = std::min(MC, (g.m + MR - 1) / MR * MR);
    float* bpack = b_buffer.get((size_t)(nc_max / NR) * b_stride(kc_max));
    float* apack = a_buffer.get((size_t)(mc_max / MR) * a_stride(kc_max));
    for (int j0 = 0; j0 < g.n; j0 += NC) {
      const int nc = std::min(NC, g.n - j0);
      for (int p0 = 0; p0 < g.k; p0 += KC) {
        const int kc = std::min(KC, g.k - p0);
        const bool first = p0 == 0, last = p0 + kc == g.k;
        pack_b(g, p0, kc, j0, nc, bpack);
        for (int i0 = 0; i0 < g.m; i0 += MC) {
          const int mc = std::min(MC, g.m - i0);
          pack_a(g, i0, mc, p0, kc, apack);
          for (int jr = 0; jr < nc; jr += NR) {
            const float* bp = bpack + (size_t)(jr / NR) * b_stride(kc);
            const float* bias = g.bias ? g.bias + j0 + jr : nullptr;
            for (int ir = 0; ir < mc; ir += MR) {
              float* c = g.c + (size_t)(i0 + ir) * g.n + j0 + jr;
              micro(kc, apack + (size_t)(ir / MR) * a_stride(kc), bp, c, g.n, std::min(MR, mc - ir), std::min(NR, nc - jr), first, last, bias, g.relu);
            }
          }
        }
      }
    }
  }
};

}  // namespace
