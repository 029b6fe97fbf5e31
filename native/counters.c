/* Placeholder until the atomic counters land. */
#include "bot4.h"
napi_status bot4_register_counters(napi_env env, napi_value exports) { (void)env; (void)exports; return napi_ok; }
