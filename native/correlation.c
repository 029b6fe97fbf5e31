/* Placeholder until the correlation kernels land. */
#include "bot4.h"
napi_status bot4_register_correlation(napi_env env, napi_value exports) { (void)env; (void)exports; return napi_ok; }
