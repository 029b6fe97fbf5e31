import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileLockError, NativeUnavailableError } from '../../../native/errors.js';
import { acquireDirLock, errnoName, kernelLockUnavailableReason, releaseDirLock } from '../../../native/file-lock.js';

const nativeExpected = process.env.BOT4_NATIVE !== '0';
const fileLockModule = fileURLToPath(new URL('../../../native/file-lock.ts', import.meta.url));

describe('kernel directory lock (native/lock.c)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'b4-flock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is available unless BOT4_NATIVE=0', () => {
    assert.equal(kernelLockUnavailableReason() === undefined, nativeExpected, kernelLockUnavailableReason());
  });

  it('a second lock of the same directory is refused (B4_FILE_LOCK_HELD), even in the same process; release frees it', function () {
    if (!nativeExpected) this.skip();
    const fd = acquireDirLock(dir);
    assert.ok(fd >= 0);
    assert.throws(() => acquireDirLock(dir), (e: unknown) => e instanceof FileLockError && e.code === 'B4_FILE_LOCK_HELD' && (e.errno === 'EWOULDBLOCK' || e.errno === 'EAGAIN'));
    releaseDirLock(fd);
    releaseDirLock(acquireDirLock(dir));
  });

  it('C status codes become typed errors: a missing directory is B4_FILE_LOCK_FAILED with its errno, a bad release too', function () {
    if (!nativeExpected) this.skip();
    assert.throws(() => acquireDirLock(path.join(dir, 'nope')), (e: unknown) => e instanceof FileLockError && e.code === 'B4_FILE_LOCK_FAILED' && e.errno === 'ENOENT' && e.message.includes('nope'));
    assert.throws(() => releaseDirLock(1_000_000), (e: unknown) => e instanceof FileLockError && e.code === 'B4_FILE_LOCK_FAILED' && e.errno === 'EBADF');
    assert.equal(errnoName(os.constants.errno.ENOSPC), 'ENOSPC');
  });

  it('a lock its holder never released is freed by the kernel when the holder exits (no cleanup)', function () {
    if (!nativeExpected) this.skip();
    // The child locks and exits without releasing; the lock dies with it.
    const script = `import('${fileLockModule.replace(/\\/g, '/')}').then((m) => { m.acquireDirLock(${JSON.stringify(dir)}); process.stdout.write('LOCKED'); process.exit(0); })`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', env: { ...process.env, BOT4_LOG_LEVEL: 'silent' }, timeout: 30_000 });
    assert.equal(r.stdout, 'LOCKED', r.stderr);
    releaseDirLock(acquireDirLock(dir));
  });

  it('without the addon: NativeUnavailableError naming why (BOT4_NATIVE=0 child)', () => {
    const script = `import('${fileLockModule.replace(/\\/g, '/')}').then((m) => { try { m.acquireDirLock('/'); } catch (e) { process.stdout.write(e.code + ' ' + e.message); } })`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', env: { ...process.env, BOT4_NATIVE: '0', BOT4_LOG_LEVEL: 'silent' }, timeout: 30_000 });
    assert.match(r.stdout, new RegExp(`^${NativeUnavailableError.code} kernel locks need the native addon: BOT4_NATIVE=0`), r.stderr);
  });
});
