// The build for any CPU: 4-wide vectors, which the compiler maps to NEON on arm64, SSE2 on x86-64, scalar code
// elsewhere. 6 x 8 register tile.
#include "gemm_impl.h"
namespace l2x_portable { void gemm(const GemmArgs& args) { Kernel<4>::run(args); } }
