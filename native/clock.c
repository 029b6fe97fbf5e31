/* A monotonic clock read that allocates nothing on the JS heap (issue 16).
 *
 * On Node 20, `performance.now()` builds an hrtime array per call and every builtin that returns a
 * double past the small-integer range (Date.now(), process.uptime()) boxes it in a HeapNumber: a
 * clock read per order is garbage per order. Here `clockSource()` returns a pair
 * `{ buffer, read }`: `read()` writes CLOCK_MONOTONIC (the clock libuv's hrtime and so
 * `performance.now()` use) in nanoseconds into the 8-byte `buffer` and returns undefined; JS reads
 * it through a Float64Array, unboxed. The buffer lives off the V8 heap (it never moves) and is
 * pinned by a reference for the life of the environment, so the pointer handed to `read` stays valid.
 */
#include "bot4.h"
#include <time.h>

static napi_value clock_read(napi_env env, napi_callback_info info) {
  void *data = NULL;
  if (napi_get_cb_info(env, info, NULL, NULL, NULL, &data) != napi_ok || data == NULL) return NULL;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  *(double *)data = (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
  return NULL;
}

static napi_value clock_source(napi_env env, napi_callback_info info) {
  (void)info;
  void *data = NULL;
  napi_value ab, fn, out;
  napi_ref pin;
  if (napi_create_arraybuffer(env, sizeof(double), &data, &ab) != napi_ok) return NULL;
  if (napi_create_reference(env, ab, 1, &pin) != napi_ok) return NULL;
  *(double *)data = 0;
  if (napi_create_function(env, "read", NAPI_AUTO_LENGTH, clock_read, data, &fn) != napi_ok) return NULL;
  if (napi_create_object(env, &out) != napi_ok) return NULL;
  if (napi_set_named_property(env, out, "buffer", ab) != napi_ok) return NULL;
  if (napi_set_named_property(env, out, "read", fn) != napi_ok) return NULL;
  return out;
}

napi_status bot4_register_clock(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"clockSource", NULL, clock_source, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
