#ifndef BOT4_NATIVE_H
#define BOT4_NATIVE_H
#include <node_api.h>

/* Each capability file registers its own exports; addon.c only calls these. */
napi_status bot4_register_correlation(napi_env env, napi_value exports);
napi_status bot4_register_counters(napi_env env, napi_value exports);
napi_status bot4_register_lock(napi_env env, napi_value exports);

#endif
