// The Node-API surface: gemm() on float32 matrices inside one ArrayBuffer (the WebAssembly heap), synchronous;
// isa() and useIsa() for the instruction set picked at load time.
#define NAPI_VERSION 8
#include <node_api.h>
#include <cstring>
#include <string>
#include "gemm.h"

namespace {

typedef void (*GemmFn)(const GemmArgs&);

struct Isa {
  const char* name;
  GemmFn fn;
  bool (*supported)();
};

#if defined(__x86_64__) || defined(_M_X64)
bool has_avx512() { return __builtin_cpu_supports("avx512f"); }
bool has_avx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
bool always() { return true; }
const Isa ISAS[] = {{"avx512", l2x_avx512::gemm, has_avx512}, {"avx2", l2x_avx2::gemm, has_avx2}, {"portable", l2x_portable::gemm, always}};
#elif defined(__aarch64__)
bool always() { return true; }
const Isa ISAS[] = {{"neon", l2x_portable::gemm, always}};
#else
bool always() { return true; }
const Isa ISAS[] = {{"portable", l2x_portable::gemm, always}};
#endif

const Isa* current = nullptr;

const Isa* best() {
  for (const Isa& isa : ISAS)
    if (isa.supported()) return &isa;
  return nullptr;
}

napi_value throw_error(napi_env env, const std::string& message) {
  napi_throw_error(env, nullptr, message.c_str());
  return nullptr;
}

bool get_int(napi_env env, napi_value v, int64_t* out) {
  return napi_get_value_int64(env, v, out) == napi_ok;
}

// gemm(buffer, m, n, k, aByteOffset, transA, bByteOffset, transB, cByteOffset, biasByteOffset | -1, relu)
napi_value Gemm(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 11) return throw_error(env, "gemm: expected 11 arguments");
  void* data = nullptr;
  size_t bytes = 0;
  if (napi_get_arraybuffer_info(env, argv[0], &data, &bytes) != napi_ok) return throw_error(env, "gemm: argument 1 must be an ArrayBuffer");
  int64_t m, n, k, a, b, c, bias;
  bool trans_a, trans_b, relu;
  if (!get_int(env, argv[1], &m) || !get_int(env, argv[2], &n) || !get_int(env, argv[3], &k) || !get_int(env, argv[4], &a) ||
      napi_get_value_bool(env, argv[5], &trans_a) != napi_ok || !get_int(env, argv[6], &b) ||
      napi_get_value_bool(env, argv[7], &trans_b) != napi_ok || !get_int(env, argv[8], &c) || !get_int(env, argv[9], &bias) ||
      napi_get_value_bool(env, argv[10], &relu) != napi_ok)
    return throw_error(env, "gemm: expected (buffer, m, n, k, a, transA, b, transB, c, bias, relu) with integer offsets and boolean flags");
  if (m < 0 || n < 0 || k < 0 || m > INT32_MAX || n > INT32_MAX || k > INT32_MAX) return throw_error(env, "gemm: sizes must be non-negative 32-bit integers");
  // Every operand must lie inside the buffer, 4-byte aligned: a wrong offset is an exception, never a stray write.
  auto inside = [&](int64_t offset, int64_t count) { return offset >= 0 && offset % 4 == 0 && (uint64_t)offset + (uint64_t)count * 4 <= bytes; };
  if (!inside(a, m * k) || !inside(b, k * n) || !inside(c, m * n) || (bias >= 0 && !inside(bias, n)))
    return throw_error(env, "gemm: an operand lies outside the buffer or is not 4-byte aligned");
  char* base = static_cast<char*>(data);
  GemmArgs args{(int)m, (int)n, (int)k, reinterpret_cast<const float*>(base + a), trans_a, reinterpret_cast<const float*>(base + b), trans_b,
                reinterpret_cast<float*>(base + c), bias >= 0 ? reinterpret_cast<const float*>(base + bias) : nullptr, relu};
  current->fn(args);
  return nullptr;
}

napi_value string(napi_env env, const char* s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

// isa(): the instruction set gemm uses now.
napi_value IsaName(napi_env env, napi_callback_info) { return string(env, current->name); }

// isas(): those this CPU runs, best first.
napi_value Isas(napi_env env, napi_callback_info) {
  napi_value list;
  napi_create_array(env, &list);
  uint32_t i = 0;
  for (const Isa& isa : ISAS)
    if (isa.supported()) napi_set_element(env, list, i++, string(env, isa.name));
  return list;
}

// useIsa(name): switch to another supported instruction set (tests compare them).
napi_value UseIsa(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  char name[32] = {};
  size_t len = 0;
  if (argc != 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok) return throw_error(env, "useIsa: expected a name");
  for (const Isa& isa : ISAS)
    if (std::strcmp(isa.name, name) == 0 && isa.supported()) {
      current = &isa;
      return nullptr;
    }
  return throw_error(env, std::string("useIsa: ") + name + " is not supported on this CPU");
}

napi_value Init(napi_env env, napi_value exports) {
  current = best();
  napi_property_descriptor props[] = {
      {"gemm", nullptr, Gemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"isa", nullptr, IsaName, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"isas", nullptr, Isas, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"useIsa", nullptr, UseIsa, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
