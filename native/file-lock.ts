import os from 'node:os';
import { FileLockError, NativeUnavailableError } from './errors.js';
import { nativeBinding, nativeLoadReason } from './loader.js';

/**
 * Kernel locks of directories (native/lock.c): `flock(LOCK_EX | LOCK_NB)` on a descriptor of the
 * directory, held until {@link releaseDirLock} or until the process exits (the kernel releases it
 * whatever way the process ends, SIGKILL included). There is no TS twin: Node has no flock, and a
 * lock file checked by pid is a different (advisory) thing, which the journal falls back to itself.
 */

type Triple = [number, number, number];
interface LockBinding {
  lockAcquire(path: string): Triple;
  lockRelease(fd: number): Triple;
}

/** Status codes of native/lock.c. */
const OK = 0;
const OPEN = 1;
const HELD = 2;

function binding(): LockBinding | null {
  const b = nativeBinding as unknown as Partial<LockBinding> | null;
  return b !== null && typeof b.lockAcquire === 'function' && typeof b.lockRelease === 'function' ? (b as LockBinding) : null;
}

/** Why kernel locks are unavailable, or undefined when they are available. */
export function kernelLockUnavailableReason(): string | undefined {
  if (nativeBinding === null) return nativeLoadReason ?? 'native addon not loaded';
  if (binding() === null) return 'the loaded addon has no lockAcquire (stale build? run `npm run build:native`)';
  return undefined;
}

/** The errno name of a number (`11` → `EAGAIN`), or `errno <n>`. */
export function errnoName(n: number): string {
  for (const [name, v] of Object.entries(os.constants.errno)) if (v === n) return name;
  return `errno ${n}`;
}

/**
 * Takes an exclusive kernel lock on directory `dir` without waiting; returns the descriptor that
 * holds it. Throws {@link FileLockError} `B4_FILE_LOCK_HELD` when someone holds it,
 * `B4_FILE_LOCK_FAILED` (errno, path) when the directory cannot be opened or locked, and
 * {@link NativeUnavailableError} without the addon.
 */
export function acquireDirLock(dir: string): number {
  const b = binding();
  if (b === null) throw new NativeUnavailableError(`kernel locks need the native addon: ${kernelLockUnavailableReason()}`);
  const [status, errno, fd] = b.lockAcquire(dir);
  if (status === OK) return fd;
  const name = errnoName(errno);
  if (status === HELD) throw new FileLockError('B4_FILE_LOCK_HELD', `${dir} is locked by another holder`, name, { path: dir });
  const what = status === OPEN ? 'open' : 'flock';
  throw new FileLockError('B4_FILE_LOCK_FAILED', `cannot lock ${dir}: ${what} failed with ${name}`, name, { path: dir, op: what });
}

/** Releases a lock taken by {@link acquireDirLock} and closes its descriptor. Throws `B4_FILE_LOCK_FAILED`. */
export function releaseDirLock(fd: number): void {
  const b = binding();
  if (b === null) throw new NativeUnavailableError(`kernel locks need the native addon: ${kernelLockUnavailableReason()}`);
  const [status, errno] = b.lockRelease(fd);
  if (status !== OK) throw new FileLockError('B4_FILE_LOCK_FAILED', `cannot release lock fd ${fd}: ${errnoName(errno)}`, errnoName(errno), { fd });
}
