import { close, closeSync, fdatasync, fsyncSync, ftruncateSync, open, openSync, write } from 'node:fs';

/** Small promise wrappers over the callback fs API (less overhead than FileHandle per call). */

/**
 * The file operations the journal's writer performs on its segments. Production uses
 * {@link nodeFileOps}; a test (or a fault-injection harness) passes its own from outside, via
 * `OrderJournalDeps.fileOps`, to drive the failure paths (ENOSPC, EIO) without a full disk.
 */
export interface JournalFileOps {
  /** Opens `p` with `flags` (`'a'` for a segment), resolving the fd. */
  open(p: string, flags: string): Promise<number>;
  /** Writes all of `buf` at the current position, looping over short writes; rejects on the first error. */
  writeAll(fd: number, buf: Buffer): Promise<void>;
  /** fdatasync(fd). */
  datasync(fd: number): Promise<void>;
  /** close(fd). */
  close(fd: number): Promise<void>;
  /**
   * Cuts `p` back to `size` bytes and fsyncs it (used after a failed write to drop a partial
   * record). A missing file is fine when `size` is 0.
   */
  truncate(p: string, size: number): void;
  /** fsyncs a directory so a create, rename or unlink inside it is durable. */
  fsyncDir(dir: string): void;
}

/** Opens `p` with `flags`, resolving the fd. */
export function openAsync(p: string, flags: string): Promise<number> {
  return new Promise((resolve, reject) => open(p, flags, 0o644, (e, fd) => (e ? reject(e) : resolve(fd))));
}

/** Writes all of `buf` at the current position (append mode), looping over short writes. */
export function writeAll(fd: number, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    let off = 0;
    const step = (): void => {
      write(fd, buf, off, buf.length - off, null, (e, n) => {
        if (e) return reject(e);
        off += n;
        if (off < buf.length) step();
        else resolve();
      });
    };
    step();
  });
}

/** fdatasync(fd). */
export function datasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve())));
}

/** close(fd). */
export function closeAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => close(fd, (e) => (e ? reject(e) : resolve())));
}

/** fsyncs a directory so a create, rename or unlink inside it is durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Cuts `p` to `size` bytes and fsyncs it; a missing file counts as empty. */
export function truncateFile(p: string, size: number): void {
  let fd: number;
  try {
    fd = openSync(p, 'r+');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && size === 0) return;
    throw e;
  }
  try {
    ftruncateSync(fd, size);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The real file operations. */
export const nodeFileOps: JournalFileOps = Object.freeze({
  open: openAsync,
  writeAll,
  datasync: datasyncAsync,
  close: closeAsync,
  truncate: truncateFile,
  fsyncDir,
});
