import { close, closeSync, fdatasync, fsyncSync, open, openSync, write } from 'node:fs';

/** Small promise wrappers over the callback fs API (less overhead than FileHandle per call). */

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
