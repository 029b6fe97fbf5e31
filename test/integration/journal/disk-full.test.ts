import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BinanceAdapter } from '../../../actors/exchange/binance/binance-adapter.js';
import { decodeRecordAt } from '../../../actors/journal/record.js';
import { listSegments } from '../../../actors/journal/segments.js';
import { LiveClock } from '../../../common/clock.js';
import { DEMO_API_KEY, DEMO_API_SECRET } from '../../../simulators/simulator.js';
import { TOKENS, TestClient } from '../../fixtures/gateway/ws-client.js';
import { QUIET_YAML, runCli, startDaemon, stopDaemon, until, type DaemonChild } from '../daemon/harness.js';

/**
 * The journal on a real, tiny file system: a 256 KiB tmpfs filled to the last byte (ENOSPC), and a
 * read-only one (EROFS). Needs root (`mount`); the CI machines run as root. The same failure paths
 * are driven without mount through the journal's file-operations seam (write-failure.test.ts).
 */

const auth = (token: string): { headers: Record<string, string> } => ({ headers: { authorization: `Bearer ${token}` } });

/** Mounts a tmpfs on a fresh directory; returns undefined (and says why) when mount is not permitted. */
function mountTmpfs(options: string): string | undefined {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'b4-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    return dir;
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const msg = `${(e as { stderr?: Buffer }).stderr?.toString() ?? ''} ${(e as Error).message}`;
    if (/permission denied|not permitted|only root|must be superuser|EPERM/i.test(msg)) {
      console.log(`    (skipped: mount of a tmpfs is not permitted here: ${msg.trim().split('\n')[0]})`);
      return undefined;
    }
    throw e;
  }
}

function unmount(dir: string | undefined): void {
  if (dir === undefined) return;
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Fills the file system holding `dir` to the last page: files of shrinking size until ENOSPC at 1 byte. */
function fill(dir: string): string[] {
  const files: string[] = [];
  for (let size = 64 * 1024; size >= 1; size = size >> 1) {
    for (let i = 0; i < 1000; i++) {
      const f = path.join(dir, `fill-${size}-${i}`);
      try {
        writeFileSync(f, Buffer.alloc(size, 0x55));
        files.push(f);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
        rmSync(f, { force: true });
        break;
      }
    }
  }
  return files;
}

describe('journal on a full disk (real tmpfs, daemon child process)', function () {
  this.timeout(180_000);
  let mnt: string | undefined;
  let d: DaemonChild | undefined;

  before(function () {
    mnt = mountTmpfs('size=256k');
    if (mnt === undefined) this.skip();
  });
  after(async () => {
    if (d !== undefined) {
      await stopDaemon(d);
      rmSync(d.dir, { recursive: true, force: true });
    }
    unmount(mnt);
  });

  it('ENOSPC: not ready (503, journalOpen false), every order denied JOURNAL_FAILED, B4_JOURNAL_IO logged once; space back → ready and trading again', async () => {
    // The embedded venue is another system: its ledger lives off the full disk (sim.stateDir, relative
    // to the daemon's folder), so only the journal meets ENOSPC.
    const yaml = QUIET_YAML.replace(/^sim:\n/m, 'sim:\n  stateDir: venue-state\n');
    assert.notEqual(yaml, QUIET_YAML);
    d = await startDaemon(yaml, { args: ['--journal', path.join(mnt!, 'journal')], env: { BOT4_LOG_LEVEL: 'warn' } });
    await until(async () => (await fetch(d!.urls.health!)).status === 200, 30_000, '/health 200');
    const admin = await TestClient.connect(d.urls.api!, auth(TOKENS.admin));
    try {
      assert.equal((await admin.request('subscribe', { topics: ['md.ticker.sim-a.BTC/USDT'] })).ok, true);
      const tick = await admin.waitFor((m) => m.topic === 'md.ticker.sim-a.BTC/USDT', 'a sim-a BTC ticker', 15_000);
      const bid = (tick.data as { bidTicks: number }).bidTicks;
      const order = (): Record<string, unknown> => ({ venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: Math.round(bid * 0.98), qtyLots: 20 });
      const submit = async (): Promise<{ accepted: boolean; reason?: string; message?: string; orderId?: string }> => {
        const r = await admin.request('order.submit', order());
        assert.equal(r.ok, true, JSON.stringify(r));
        return r.result as { accepted: boolean; reason?: string; message?: string; orderId?: string };
      };
      const first = await submit();
      assert.equal(first.accepted, true, JSON.stringify(first));

      const filler = fill(mnt!);
      assert.ok(filler.length > 0);
      // The segment's last page may still hold a record or two: submit until the journal hits ENOSPC.
      let denied: { accepted: boolean; reason?: string; message?: string } | undefined;
      for (let i = 0; i < 200 && denied === undefined; i++) {
        const r = await submit();
        if (!r.accepted) denied = r;
      }
      assert.ok(denied !== undefined, 'an order was denied once the disk was full');
      assert.equal(denied.reason, 'JOURNAL_FAILED', JSON.stringify(denied));
      assert.match(denied.message ?? '', /ENOSPC/);
      const h = await fetch(d.urls.health!);
      assert.equal(h.status, 503);
      const body = (await h.json()) as { ready: boolean; checks: Record<string, boolean> };
      assert.equal(body.ready, false);
      assert.equal(body.checks.journalOpen, false);
      // Every time, with the proper code (never "clientOrderId already exists").
      for (let i = 0; i < 5; i++) {
        const r = await submit();
        assert.deepEqual([r.accepted, r.reason], [false, 'JOURNAL_FAILED'], JSON.stringify(r));
      }
      const ioLines = d.stderr().split('\n').filter((l) => l.includes('"code":"B4_JOURNAL_IO"') && l.includes('"level":50'));
      assert.equal(ioLines.length, 1, `B4_JOURNAL_IO logged once per episode, not per order:\n${ioLines.join('\n')}`);

      for (const f of filler) rmSync(f);
      await until(async () => (await fetch(d!.urls.health!)).status === 200, 30_000, '/health 200 after space returned');
      const again = await submit();
      assert.equal(again.accepted, true, JSON.stringify(again));
      assert.match(d.stderr(), /journal writes again/);

      // The first write that met ENOSPC carried either a new order's submit record (that order is
      // rejected in the engine and unknown to the venue: never sent) or only an earlier order's venue
      // event (kept in memory and written on recovery; then no order is rejected). Never more than one.
      const all = (await admin.request('orders.get', { status: 'all', limit: 1000 })).result as { orderId: string; status: string; venue: string; symbol: string }[];
      const failedOrders = all.filter((o) => o.status === 'rejected');
      assert.ok(failedOrders.length <= 1, JSON.stringify(all));
      const venue = new BinanceAdapter({ venue: 'sim-a', apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, rest: d.urls['sim-a.rest']!, timeoutMs: 5000, clock: new LiveClock() });
      try {
        await venue.loadInstruments();
        for (const f of failedOrders) assert.equal(await venue.fetchOrder(f.orderId, 'BTC/USDT'), undefined, 'the failed order never reached the venue');
        assert.notEqual(await venue.fetchOrder(again.orderId!, 'BTC/USDT'), undefined, 'control: an accepted order is found at the venue');
      } finally {
        await venue.close();
      }
    } finally {
      admin.close();
    }
    assert.equal(await stopDaemon(d), 0, d.stderr().slice(-3000));
    // On disk: clean records in a gapless sequence, no torn record left in front of later ones.
    let expected = 0;
    for (const s of listSegments(path.join(mnt!, 'journal'))) {
      const buf = readFileSync(s.path);
      expected = expected === 0 ? s.seq : expected;
      for (let off = 0; off < buf.length; ) {
        const rec = decodeRecordAt(buf, off, buf.length, 2 ** 20);
        assert.ok(rec.ok && rec.record.seq === expected, `clean record ${expected} at byte ${off} of ${s.path}`);
        expected++;
        off += rec.bytes;
      }
    }
    assert.ok(expected > 1);
  });
});

describe('journal on a read-only file system (real tmpfs remounted ro)', function () {
  this.timeout(120_000);
  let mnt: string | undefined;
  let cwd: string | undefined;

  before(function () {
    mnt = mountTmpfs('size=256k');
    if (mnt === undefined) this.skip();
    mkdirSync(path.join(mnt!, 'journal'));
    execFileSync('mount', ['-o', 'remount,ro', mnt!], { stdio: 'ignore' });
    cwd = mkdtempSync(path.join(os.tmpdir(), 'b4-ro-'));
    writeFileSync(path.join(cwd, 'bot4.yaml'), QUIET_YAML);
  });
  after(() => {
    if (cwd !== undefined) rmSync(cwd, { recursive: true, force: true });
    unmount(mnt);
  });

  it('bot4 daemon exits non-zero with B4_JOURNAL_READONLY naming path and errno, no stack trace', async () => {
    const r = await runCli(['daemon', '--config', 'bot4.yaml', '--port', '0', '--journal', path.join(mnt!, 'journal')], { cwd: cwd!, timeoutMs: 60_000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`^bot4: B4_JOURNAL_READONLY: journal directory is not writable: \\w+ ${path.join(mnt!, 'journal').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} failed with EROFS`, 'm'));
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  });
});
