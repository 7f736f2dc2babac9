# The native product kernel: one static library per instruction set (each with its own compiler flags), linked
# into one Node-API addon that picks the best one the CPU runs at load time.
{
  "target_defaults": {
    "cflags_cc": ["-O3", "-fPIC", "-std=gnu++17", "-fno-exceptions"],
    "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=gnu++17"]},
  },
  "targets": [
    {
      "target_name": "gemm_portable",
      "type": "static_library",
      "sources": ["native/gemm_portable.cc"],
    },
    {
      "target_name": "l2x_kernels",
      "sources": ["native/addon.cc"],
      "dependencies": ["gemm_portable"],
      "conditions": [
        ["target_arch=='x64'", {"dependencies": ["gemm_avx2", "gemm_avx512"]}],
      ],
    },
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "gemm_avx2",
          "type": "static_library",
          "sources": ["native/gemm_avx2.cc"],
          "cflags_cc": ["-mavx2", "-mfma"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-mavx2", "-mfma"]},
        },
        {
          "target_name": "gemm_avx512",
          "type": "static_library",
          "sources": ["native/gemm_avx512.cc"],
          "cflags_cc": ["-mavx512f", "-mfma"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-mavx512f", "-mfma"]},
        },
      ],
    }],
  ],
}
