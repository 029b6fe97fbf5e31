import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import path from 'node:path';
import { TokenFileInsecureError, TokenFileWriteError } from './errors.js';

/** Permission bits a private folder or file may have for group and others: none. */
const GROUP_OTHER = 0o077;

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TokenFileWriteError(p, `cannot inspect (${(e as NodeJS.ErrnoException).code ?? String(e)})`, e);
  }
}

function mode(st: Stats): string {
  return `0${(st.mode & 0o777).toString(8).padStart(3, '0')}`;
}

function checkOwner(p: string, st: Stats, what: string): void {
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new TokenFileInsecureError(p, `${what} is owned by uid ${st.uid}, not by this user (uid ${uid})`);
}

/**
 * Makes sure the token file's folder exists, is a real folder (not a symlink) owned by this user,
 * and gives group and others no access: created with mode 0700 (whatever the umask), an existing
 * one is checked. The existing token file, if any, must be a regular file (not a symlink) of this
 * user with no group/other access. Throws {@link TokenFileInsecureError} (`B4_TOKEN_FILE_INSECURE`)
 * naming the path and what is wrong; never changes an existing folder's or file's mode.
 *
 * Only the last folder is checked: it alone decides who can list, create or swap entries next to
 * the token (its parents are the user's own choice of location).
 */
export function prepareTokenFile(file: string): string {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  let st = lstatOrUndefined(dir);
  if (st === undefined) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new TokenFileWriteError(dir, `cannot create the folder (${(e as NodeJS.ErrnoException).code ?? String(e)})`, e);
    }
    st = lstatOrUndefined(dir);
    if (st?.isDirectory() === true && (st.mode & GROUP_OTHER) !== 0) {
      throw new TokenFileInsecureError(dir, `folder was created ${mode(st)} instead of 0700`);
    }
  }
  if (st === undefined) throw new TokenFileWriteError(dir, 'the folder vanished after it was created');
  if (st.isSymbolicLink()) throw new TokenFileInsecureError(dir, 'folder is a symbolic link; use a real folder of mode 0700');
  if (!st.isDirectory()) throw new TokenFileInsecureError(dir, 'is not a folder');
  checkOwner(dir, st, 'folder');
  if ((st.mode & GROUP_OTHER) !== 0) throw new TokenFileInsecureError(dir, `folder has mode ${mode(st)}: group or others have access (chmod 700 it, or choose another auth.tokenFile)`);
  const f = lstatOrUndefined(abs);
  if (f !== undefined) {
    if (f.isSymbolicLink()) throw new TokenFileInsecureError(abs, 'is a symbolic link (never followed); remove it');
    if (!f.isFile()) throw new TokenFileInsecureError(abs, 'is not a regular file');
    checkOwner(abs, f, 'file');
    if ((f.mode & GROUP_OTHER) !== 0) throw new TokenFileInsecureError(abs, `has mode ${mode(f)}: group or others can read it (an earlier token may have leaked); remove it, it is rewritten with mode 0600`);
  }
  return abs;
}

/**
 * Writes `token` to `file` atomically with mode 0600: a new temp file in the same folder
 * (`O_CREAT|O_EXCL|O_NOFOLLOW`, mode set with fchmod so the umask cannot widen or narrow it),
 * written and fsynced, then renamed over the token file (a rename replaces the directory entry
 * and never follows a symlink). Checks the folder and any existing file first
 * ({@link prepareTokenFile}). Returns the absolute path.
 */
export function writeTokenFile(file: string, token: string): string {
  const abs = prepareTokenFile(file);
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    fchmodSync(fd, 0o600);
    writeSync(fd, `${token}\n`);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, abs);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // not created, or already renamed
    }
    throw new TokenFileWriteError(abs, `cannot write (${(e as NodeJS.ErrnoException).code ?? String(e)})`, e);
  }
  return abs;
}
