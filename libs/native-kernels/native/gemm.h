// C = act(op(A) @ op(B) + bias): float32, row-major, single-threaded. Shared by every instruction-set build.
#pragma once
#include <cstddef>

struct GemmArgs {
  int m, n, k;            // C is [m, n]; op(A) is [m, k]; op(B) is [k, n]
  const float* a;         // [m, k], or [k, m] when trans_a
  bool trans_a;
  const float* b;         // [k, n], or [n, k] when trans_b
  bool trans_b;
  float* c;               // [m, n], overwritten
  const float* bias;      // [n] or nullptr
  bool relu;
};

// One entry per instruction set this build holds; each is compiled in its own file with its own flags.
namespace l2x_avx512 { void gemm(const GemmArgs& args); }
namespace l2x_avx2 { void gemm(const GemmArgs& args); }
namespace l2x_portable { void gemm(const GemmArgs& args); }
