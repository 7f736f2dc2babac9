// AVX2 + FMA build (compiled with -mavx2 -mfma): 6 x 16 register tile.
#include "gemm_impl.h"
namespace l2x_avx2 { void gemm(const GemmArgs& args) { Kernel<8>::run(args); } }
