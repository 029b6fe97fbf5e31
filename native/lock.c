/*
 * Kernel lock of a journal directory: flock(LOCK_EX | LOCK_NB) on a descriptor of the directory
 * itself, kept open for as long as the lock is held.
 *
 * Why the directory and not a lock file: a lock on a file's inode is lost the moment someone deletes
 * the file (a second process creates a new file, a new inode, and locks that one). The directory
 * cannot be swapped under a running daemon that way, and the kernel drops the lock when the holder
 * exits, however it exits (SIGKILL included): no stale locks, no pid checks.
 *
 * O_CLOEXEC: a child process started by the holder must not inherit (and so keep alive) the lock.
 * flock locks belong to the open file description, so a second lockAcquire of the same directory
 * in the same process conflicts too (one writer per journal, even within a process).
 *
 * Status codes, never exceptions; native/file-lock.ts turns them into typed errors:
 *   lockAcquire(path) -> [status, errno, fd]
 *   lockRelease(fd)   -> [status, errno, 0]
 */
#define _GNU_SOURCE
#include "bot4.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/file.h>
#include <unistd.h>

/* Mirrored in native/file-lock.ts. */
enum {
  B4L_OK = 0,
  B4L_OPEN = 1,  /* open of the directory failed (errno) */
  B4L_HELD = 2,  /* another open file description holds the lock */
  B4L_FLOCK = 3, /* flock/close failed otherwise (errno) */
  B4L_ARGS = 4   /* bad arguments */
};

static napi_value lock_acquire(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char path[4096];
  size_t len = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok || len == 0 || len >= sizeof path - 1) {
    return bot4_status_triple(env, B4L_ARGS, 0, -1);
  }
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return bot4_status_triple(env, B4L_OPEN, errno, -1);
  int rc;
  do {
    rc = flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int e = errno;
    close(fd);
    return bot4_status_triple(env, e == EWOULDBLOCK ? B4L_HELD : B4L_FLOCK, e, -1);
  }
  return bot4_status_triple(env, B4L_OK, 0, fd);
}

static napi_value lock_release(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    return bot4_status_triple(env, B4L_ARGS, 0, 0);
  }
  int code = B4L_OK, err = 0;
  if (flock(fd, LOCK_UN) != 0) {
    code = B4L_FLOCK;
    err = errno;
  }
  /* close() releases the lock in any case (last descriptor of the open file description). */
  if (close(fd) != 0 && code == B4L_OK) {
    code = B4L_FLOCK;
    err = errno;
  }
  return bot4_status_triple(env, code, err, 0);
}

napi_status bot4_register_lock(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"lockAcquire", NULL, lock_acquire, NULL, NULL, NULL, napi_default, NULL},
      {"lockRelease", NULL, lock_release, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
