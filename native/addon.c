/* Registration only: every capability lives in its own file (correlation.c, counters.c, lock.c, clock.c). */
#include "bot4.h"

static napi_value Init(napi_env env, napi_value exports) {
  if (bot4_register_correlation(env, exports) != napi_ok) return NULL;
  if (bot4_register_counters(env, exports) != napi_ok) return NULL;
  if (bot4_register_lock(env, exports) != napi_ok) return NULL;
  if (bot4_register_clock(env, exports) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
