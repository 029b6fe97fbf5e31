{
  "targets": [
    {
      "target_name": "bot4_native",
      "sources": [
        "native/addon.c",
        "native/correlation.c",
        "native/counters.c",
        "native/lock.c",
        "native/clock.c"
      ],
      "cflags_c": ["-std=c11", "-O3", "-ffp-contract=off", "-fno-strict-aliasing", "-Wall", "-Wextra"],
      "cflags!": ["-fno-exceptions"],
      "defines": ["NAPI_VERSION=8"],
      "xcode_settings": { "OTHER_CFLAGS": ["-std=c11", "-O3", "-ffp-contract=off"] }
    }
  ]
}
