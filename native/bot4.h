#ifndef BOT4_NATIVE_H
#define BOT4_NATIVE_H
#include <node_api.h>
#include <stdint.h>

/* Each capability file registers its own exports; addon.c only calls these. */
napi_status bot4_register_correlation(napi_env env, napi_value exports);
napi_status bot4_register_counters(napi_env env, napi_value exports);
napi_status bot4_register_lock(napi_env env, napi_value exports);
napi_status bot4_register_clock(napi_env env, napi_value exports);

/* A `[status, errno, detail]` array: how every capability reports an outcome (no exceptions). */
napi_value bot4_status_triple(napi_env env, int code, int err, int64_t detail);

#endif
