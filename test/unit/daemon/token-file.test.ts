import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Bot4Error } from '../../../common/errors.js';
import { prepareTokenFile, writeTokenFile } from '../../../daemon/token-file.js';

const perm = (p: string): number => lstatSync(p).mode & 0o777;

function refused(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Bot4Error, String(e));
    assert.equal(e.code, 'B4_TOKEN_FILE_INSECURE');
    assert.match(e.message, re);
    return true;
  });
}

describe('token file (daemon/token-file.ts)', () => {
  let root = '';
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'bot4-token-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('creates the folder 0700 and the file 0600 even with umask 000, and leaves no temp file', () => {
    const old = process.umask(0);
    try {
      const file = writeTokenFile(path.join(root, '.bot4', 'admin-token'), 'tok-1');
      assert.equal(perm(path.join(root, '.bot4')), 0o700);
      assert.equal(perm(file), 0o600);
      assert.equal(readFileSync(file, 'utf8'), 'tok-1\n');
      assert.deepEqual(readdirSync(path.join(root, '.bot4')), ['admin-token']);
    } finally {
      process.umask(old);
    }
  });

  it('replaces an existing 0600 file atomically (new inode, mode 0600)', () => {
    const file = writeTokenFile(path.join(root, '.bot4', 'admin-token'), 'tok-1');
    const ino = statSync(file).ino;
    writeTokenFile(file, 'tok-2');
    assert.equal(readFileSync(file, 'utf8'), 'tok-2\n');
    assert.notEqual(statSync(file).ino, ino, 'renamed over, not rewritten in place');
    assert.equal(perm(file), 0o600);
  });

  it('refuses an existing token file group/others can read (0644), leaving it untouched', () => {
    const dir = path.join(root, '.bot4');
    mkdirSync(dir, { mode: 0o700 });
    chmodSync(dir, 0o700);
    const file = path.join(dir, 'admin-token');
    writeFileSync(file, 'old\n');
    chmodSync(file, 0o644);
    refused(() => writeTokenFile(file, 'new-admin-token'), /has mode 0644: group or others can read it/);
    assert.equal(readFileSync(file, 'utf8'), 'old\n');
    assert.equal(perm(file), 0o644);
  });

  it('refuses a token file that is a symlink, and never writes through it', () => {
    const dir = path.join(root, '.bot4');
    mkdirSync(dir, { mode: 0o700 });
    chmodSync(dir, 0o700);
    const target = path.join(root, 'elsewhere');
    writeFileSync(target, 'victim\n');
    symlinkSync(target, path.join(dir, 'admin-token'));
    refused(() => writeTokenFile(path.join(dir, 'admin-token'), 'new-admin-token'), /is a symbolic link/);
    assert.equal(readFileSync(target, 'utf8'), 'victim\n');
  });

  it('refuses a folder that is a symlink, or that group/others can access', () => {
    const real = path.join(root, 'real');
    mkdirSync(real, { mode: 0o700 });
    chmodSync(real, 0o700);
    symlinkSync(real, path.join(root, 'link'));
    refused(() => prepareTokenFile(path.join(root, 'link', 'admin-token')), /folder is a symbolic link/);
    const open = path.join(root, 'open');
    mkdirSync(open);
    chmodSync(open, 0o755);
    refused(() => writeTokenFile(path.join(open, 'admin-token'), 'x'), /folder has mode 0755/);
    assert.deepEqual(readdirSync(open), [], 'nothing written');
  });

  it('a folder it cannot create is a coded write error', () => {
    // a regular file where a parent folder should be: ENOTDIR for any user, root included
    writeFileSync(path.join(root, 'afile'), '');
    assert.throws(() => writeTokenFile(path.join(root, 'afile', 'sub', 'admin-token'), 'x'), (e: unknown) => e instanceof Bot4Error && e.code === 'B4_TOKEN_FILE_WRITE' && /cannot (inspect|create the folder) \(ENOTDIR\)/.test(e.message));
  });
});
