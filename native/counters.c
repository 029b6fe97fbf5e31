/*
 * Atomic 64-bit counters on memory that JavaScript also touches with `Atomics` (BigInt64Array).
 *
 * Layout: slot i is the int64 at byte 64*i of the block (stride 8 int64s), so two slots never share
 * a cache line whatever the block's base alignment (every 8-byte value sits wholly inside one line
 * and the next slot is a full line further on).
 *
 * Hot calls are cheap because each block is bound once: `countersBind(typedArray)` caches the data
 * pointer (and keeps a napi_ref to the typed array so the memory outlives the pointer) and returns
 * functions whose `data` is that cached handle. A call then costs one napi_get_cb_info and a couple
 * of value conversions (~25 ns) instead of unwrapping the typed array every time (~55 ns).
 *
 * Errors are status codes, never exceptions: an op on a bad slot or a released handle returns
 * `undefined` and `countersOpenShared` returns `[code, errno, detail]`; native/atomic-counters.ts
 * turns them into typed errors with the caller's stack.
 *
 * Cross-process sharing: `countersOpenShared(path, slots)` maps a file MAP_SHARED and hands the
 * mapping to JS as an external ArrayBuffer. The file starts with a 64-byte header (magic, version,
 * slot count) written under flock(LOCK_EX) by whichever process creates it, so a second process
 * asking for a different slot count gets a clear error instead of silently sharing a wrong layout.
 */
#define _GNU_SOURCE
#include "bot4.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define STRIDE 8 /* int64s per slot: one 64-byte cache line */
#define HEADER_BYTES 64
#define SHARED_MAGIC 0x31534e5443344231ULL /* "1B4CTNS1" little-endian: bot4 counters file */
#define SHARED_VERSION 1u
#define MAX_SHARED_SLOTS (1u << 24)

/* Status codes of countersOpenShared, mirrored in native/atomic-counters.ts. */
enum {
  B4C_OK = 0,
  B4C_OPEN = 1,     /* open/flock failed (errno) */
  B4C_SIZE = 2,     /* fstat/ftruncate failed (errno) */
  B4C_MMAP = 3,     /* mmap failed (errno) */
  B4C_MAGIC = 4,    /* existing file is not a bot4 counters file (or is truncated) */
  B4C_VERSION = 5,  /* existing file has another layout version (detail: its version) */
  B4C_SLOTS = 6,    /* existing file has another slot count (detail: its slot count) */
  B4C_ARGS = 7      /* bad arguments */
};

typedef struct {
  uint64_t magic;
  uint32_t version;
  uint32_t slots;
} shared_header;

typedef struct {
  _Atomic int64_t *base; /* NULL once released */
  uint32_t slots;
  int fns_alive;         /* finalizers still to run; the last one frees the handle */
  napi_ref keep;         /* keeps the typed array (and so the memory) alive */
} counters_handle;

static napi_value undefined_value(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/* Reads (handle, slot) from the call; returns the slot's address or NULL on any bad input. */
static _Atomic int64_t *slot_ptr(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, &data) != napi_ok || argc < want) return NULL;
  counters_handle *h = (counters_handle *)data;
  uint32_t slot;
  if (h->base == NULL || napi_get_value_uint32(env, argv[0], &slot) != napi_ok || slot >= h->slots) return NULL;
  return h->base + (size_t)slot * STRIDE;
}

static napi_value op_add(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  _Atomic int64_t *p = slot_ptr(env, info, 2, argv);
  int64_t delta;
  if (p == NULL || napi_get_value_int64(env, argv[1], &delta) != napi_ok) return undefined_value(env);
  napi_value r;
  napi_create_int64(env, atomic_fetch_add_explicit(p, delta, memory_order_seq_cst), &r);
  return r;
}

static napi_value op_load(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  _Atomic int64_t *p = slot_ptr(env, info, 1, argv);
  if (p == NULL) return undefined_value(env);
  napi_value r;
  napi_create_int64(env, atomic_load_explicit(p, memory_order_seq_cst), &r);
  return r;
}

static napi_value op_store(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  _Atomic int64_t *p = slot_ptr(env, info, 2, argv);
  int64_t v;
  if (p == NULL || napi_get_value_int64(env, argv[1], &v) != napi_ok) return undefined_value(env);
  atomic_store_explicit(p, v, memory_order_seq_cst);
  napi_value r;
  napi_get_boolean(env, true, &r);
  return r;
}

static napi_value op_cas(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  _Atomic int64_t *p = slot_ptr(env, info, 3, argv);
  int64_t expected, replacement;
  if (p == NULL || napi_get_value_int64(env, argv[1], &expected) != napi_ok ||
      napi_get_value_int64(env, argv[2], &replacement) != napi_ok) {
    return undefined_value(env);
  }
  /* On failure `expected` receives the current value: either way it ends up the previous value. */
  atomic_compare_exchange_strong_explicit(p, &expected, replacement, memory_order_seq_cst, memory_order_seq_cst);
  napi_value r;
  napi_create_int64(env, expected, &r);
  return r;
}

static napi_value op_release(napi_env env, napi_callback_info info) {
  void *data = NULL;
  size_t argc = 0;
  napi_get_cb_info(env, info, &argc, NULL, NULL, &data);
  counters_handle *h = (counters_handle *)data;
  h->base = NULL;
  if (h->keep != NULL) {
    napi_delete_reference(env, h->keep);
    h->keep = NULL;
  }
  return undefined_value(env);
}

static void fn_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  counters_handle *h = (counters_handle *)data;
  if (--h->fns_alive > 0) return;
  if (h->keep != NULL) napi_delete_reference(env, h->keep);
  free(h);
}

/* countersBind(BigInt64Array) -> [add, load, store, cas, release] bound to the array's memory. */
static napi_value counters_bind(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return undefined_value(env);
  bool is_ta = false;
  if (napi_is_typedarray(env, argv[0], &is_ta) != napi_ok || !is_ta) return undefined_value(env);
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok) return undefined_value(env);
  if (type != napi_bigint64_array || data == NULL || ((uintptr_t)data & 7u) != 0 || length / STRIDE > UINT32_MAX) {
    return undefined_value(env);
  }
  counters_handle *h = calloc(1, sizeof *h);
  if (h == NULL) return undefined_value(env);
  h->base = (_Atomic int64_t *)data;
  /* A slot needs only its first int64 inside the array: the tail of the last line is padding. */
  h->slots = (uint32_t)((length + STRIDE - 1) / STRIDE);
  if (napi_create_reference(env, argv[0], 1, &h->keep) != napi_ok) {
    free(h);
    return undefined_value(env);
  }
  static const struct {
    const char *name;
    napi_callback cb;
  } fns[] = {{"add", op_add}, {"load", op_load}, {"store", op_store}, {"compareExchange", op_cas}, {"release", op_release}};
  const size_t n = sizeof fns / sizeof fns[0];
  napi_value arr;
  napi_create_array_with_length(env, n, &arr);
  h->fns_alive = 0;
  for (size_t i = 0; i < n; i++) {
    napi_value f;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, h, &f) != napi_ok) {
      if (h->fns_alive == 0) {
        napi_delete_reference(env, h->keep);
        free(h);
      }
      return undefined_value(env);
    }
    h->fns_alive++;
    napi_add_finalizer(env, f, h, fn_finalize, NULL, NULL);
    napi_set_element(env, arr, (uint32_t)i, f);
  }
  return arr;
}

/* [code, errno, detail]: the status triple every capability returns (declared in bot4.h). */
napi_value bot4_status_triple(napi_env env, int code, int err, int64_t detail) {
  napi_value arr, v;
  napi_create_array_with_length(env, 3, &arr);
  napi_create_int32(env, code, &v);
  napi_set_element(env, arr, 0, v);
  napi_create_int32(env, err, &v);
  napi_set_element(env, arr, 1, v);
  napi_create_int64(env, detail, &v);
  napi_set_element(env, arr, 2, v);
  return arr;
}

static void unmap_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  munmap(data, (size_t)(uintptr_t)hint);
}

/*
 * countersOpenShared(path, slots) -> external ArrayBuffer over the whole mapping (64-byte header,
 * then `slots` 64-byte slots), or [code, errno, detail] on failure. The mapping is released when
 * the ArrayBuffer is garbage-collected; the file descriptor is closed at once (mmap keeps its own).
 */
static napi_value counters_open_shared(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char path[4096];
  size_t path_len = 0;
  uint32_t slots = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_string_utf8(env, argv[0], path, sizeof path, &path_len) != napi_ok || path_len == 0 ||
      path_len >= sizeof path - 1 || napi_get_value_uint32(env, argv[1], &slots) != napi_ok || slots == 0 ||
      slots > MAX_SHARED_SLOTS) {
    return bot4_status_triple(env, B4C_ARGS, 0, 0);
  }
  const size_t size = HEADER_BYTES + (size_t)slots * STRIDE * sizeof(int64_t);
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return bot4_status_triple(env, B4C_OPEN, errno, 0);
  /* One creator writes the header; everyone else waits here, then checks it. */
  if (flock(fd, LOCK_EX) != 0) {
    int e = errno;
    close(fd);
    return bot4_status_triple(env, B4C_OPEN, e, 0);
  }
  int code = B4C_OK, err = 0;
  int64_t detail = 0;
  struct stat st;
  void *mem = MAP_FAILED;
  if (fstat(fd, &st) != 0) {
    code = B4C_SIZE;
    err = errno;
  } else if (st.st_size == 0) {
    /* Fresh file: ftruncate zero-fills, then the header marks it initialised. */
    if (ftruncate(fd, (off_t)size) != 0) {
      code = B4C_SIZE;
      err = errno;
    }
  } else if ((size_t)st.st_size < HEADER_BYTES) {
    code = B4C_MAGIC;
  }
  if (code == B4C_OK) {
    size_t map_size = st.st_size == 0 ? size : (size_t)st.st_size;
    mem = mmap(NULL, map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mem == MAP_FAILED) {
      code = B4C_MMAP;
      err = errno;
    } else {
      shared_header *hd = (shared_header *)mem;
      if (st.st_size == 0) {
        hd->slots = slots;
        hd->version = SHARED_VERSION;
        __atomic_store_n(&hd->magic, SHARED_MAGIC, __ATOMIC_SEQ_CST);
      } else if (hd->magic != SHARED_MAGIC) {
        code = B4C_MAGIC;
      } else if (hd->version != SHARED_VERSION) {
        code = B4C_VERSION;
        detail = hd->version;
      } else if (hd->slots != slots || map_size != size) {
        code = B4C_SLOTS;
        detail = hd->slots;
      }
      if (code != B4C_OK) {
        munmap(mem, map_size);
        mem = MAP_FAILED;
      }
    }
  }
  flock(fd, LOCK_UN);
  close(fd);
  if (code != B4C_OK) return bot4_status_triple(env, code, err, detail);
  napi_value ab;
  if (napi_create_external_arraybuffer(env, mem, size, unmap_finalize, (void *)(uintptr_t)size, &ab) != napi_ok) {
    munmap(mem, size);
    return bot4_status_triple(env, B4C_MMAP, 0, 0);
  }
  return ab;
}

napi_status bot4_register_counters(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"countersBind", NULL, counters_bind, NULL, NULL, NULL, napi_default, NULL},
      {"countersOpenShared", NULL, counters_open_shared, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
