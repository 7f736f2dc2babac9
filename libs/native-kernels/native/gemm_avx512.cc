// AVX-512F build (compiled with -mavx512f -mfma): 6 x 32 register tile.
#include "gemm_impl.h"
namespace l2x_avx512 { void gemm(const GemmArgs& args) { Kernel<16>::run(args); } }
