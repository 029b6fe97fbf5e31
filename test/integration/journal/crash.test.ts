import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OrderJournal } from '../../../actors/journal/order-journal.js';
import { applyOrderRecord, serializeOrderBook, type OrderBookState } from '../../../actors/journal/order-records.js';
import { decodeRecordAt, encodeRecord, type JournalRecord } from '../../../actors/journal/record.js';
import { listSegments } from '../../../actors/journal/segments.js';
import { OrderStore } from '../../../actors/orders/order-store.js';
import { Portfolio } from '../../../actors/orders/portfolio.js';
import { LiveClock } from '../../../common/clock.js';
import { SeededRandom } from '../../../common/random.js';
import { bundleEntry } from '../../fixtures/bundle.js';
import { INSTRUMENTS } from '../../fixtures/journal/workload.js';

const childTs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/journal/crash-child.ts');
let child = '';
const KILLS = 50;
const SEED = 20_251_125;

interface RunResult {
  acked: number[];
  ready: number;
}

/** Starts the child, lets it run `runMs` after it is ready, SIGKILLs it; returns its acknowledgements. */
function runAndKill(dir: string, seed: number, runMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, dir, String(seed), '4'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BOT4_LOG_LEVEL: 'silent' } });
    let out = '';
    let err = '';
    let ready = -1;
    let timer: NodeJS.Timeout | undefined;
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (ready < 0) {
        const m = /^READY (\d+)$/m.exec(out);
        if (m) {
          ready = Number(m[1]);
          timer = setTimeout(() => p.kill('SIGKILL'), runMs);
        }
      }
    });
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const guard = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL') return reject(new Error(`child exited by itself (code ${code}, signal ${signal}): ${err}`));
      if (ready < 0) return reject(new Error(`child killed before ready: ${err}`));
      // Only complete lines: the last one may have been cut by the kill.
      const lines = out.slice(0, out.lastIndexOf('\n') + 1).split('\n');
      const acked = lines.filter((l) => l.startsWith('A ')).map((l) => Number(l.slice(2)));
      resolve({ acked, ready });
    });
  });
}

/** Valid records of the segments from the one holding `fromSeq` on, read independently of replay, and where a bad tail starts. */
function scanRaw(dir: string, fromSeq: number): { records: JournalRecord[]; bad?: { file: string; offset: number } } {
  const records: JournalRecord[] = [];
  const segs = listSegments(dir);
  let first = 0;
  while (first + 1 < segs.length && segs[first + 1]!.seq <= fromSeq) first++;
  for (let i = first; i < segs.length; i++) {
    const buf = readFileSync(segs[i]!.path);
    for (let off = 0; off < buf.length; ) {
      const r = decodeRecordAt(buf, off, buf.length, 2 ** 20);
      if (!r.ok) {
        assert.equal(i, segs.length - 1, `bad record in a segment that is not the last: ${segs[i]!.path}@${off}: ${r.reason}`);
        return { records, bad: { file: segs[i]!.path, offset: off } };
      }
      records.push(r.record);
      off += r.bytes;
    }
  }
  return { records };
}

function digest(s: OrderBookState): string {
  return JSON.stringify(serializeOrderBook(s));
}

describe('journal crash test (SIGKILL, fsync always)', function () {
  this.timeout(240_000);
  before(() => {
    // 50 short-lived children: bundle once instead of compiling TypeScript at every start.
    child = bundleEntry(childTs);
  });

  it(`loses no acknowledged record over ${KILLS} kills at random points, and rebuilds exactly what was written`, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'b4-crash-'));
    const rng = new SeededRandom(SEED);
    const ref: OrderBookState = { orders: new OrderStore(), portfolio: new Portfolio(INSTRUMENTS) };
    let refLast = 0;
    let totalAcked = 0;
    let tornInjected = 0;
    let tornSeen = 0;
    try {
      for (let i = 0; i < KILLS; i++) {
        const runMs = 20 + rng.int(181);
        const { acked, ready } = await runAndKill(dir, SEED + i, runMs);
        // The child resumes where replay ended, after journaling `unknown` for orders left in flight.
        assert.ok(ready >= refLast + 1, `child resumed at ${ready}, replay ended at ${refLast}`);
        totalAcked += acked.length;

        // Simulate a torn write now and then (a power loss mid-append): a prefix of a valid record.
        if (rng.next() < 0.25) {
          const segs = listSegments(dir);
          const rec = encodeRecord(999_999_999, 0, 'balance.adjust', { v: 'sim-a', a: 'USDT', x: '1' });
          appendFileSync(segs.at(-1)!.path, rec.subarray(0, 1 + rng.int(rec.length - 1)));
          tornInjected++;
        }

        const raw = scanRaw(dir, refLast + 1);
        const present = new Set(raw.records.map((r) => r.seq));
        const lastRaw = raw.records.at(-1)?.seq ?? refLast;
        for (const a of acked) assert.ok(a <= refLast || present.has(a), `acknowledged record ${a} lost (kill ${i}); ${raw.records.length} records on disk, ${JSON.stringify(raw.bad)}, ${listSegments(dir).map((s) => `${s.seq}:${statSync(s.path).size}`).join(",")}`);
        assert.ok(acked.every((a) => a <= lastRaw));
        // Reference: fold the records that are new since the last check, in order, no gaps.
        for (const r of raw.records) {
          if (r.seq <= refLast) continue;
          assert.equal(r.seq, refLast + 1, 'no gap');
          applyOrderRecord(ref, r);
          refLast = r.seq;
        }

        const j = await OrderJournal.open({ dir, fsync: 'always' }, { clock: new LiveClock(), instruments: INSTRUMENTS, markInFlightUnknown: false });
        try {
          assert.equal(j.nextSequence, refLast + 1);
          assert.equal(digest(j.state), digest(ref), `rebuilt state differs after kill ${i}`);
          const tails = j.report.warnings.filter((w) => w.kind === 'torn-tail' || w.kind === 'corrupt-tail');
          // A snapshot interrupted by the kill leaves its temp file: removed and reported, harmless.
          const other = j.report.warnings.filter((w) => !tails.includes(w) && w.kind !== 'temp-removed');
          assert.deepEqual(other, []);
          if (raw.bad === undefined) assert.equal(tails.length, 0);
          else {
            tornSeen++;
            assert.equal(tails.length, 1);
            assert.equal(tails[0]!.file, raw.bad.file);
            assert.equal(tails[0]!.offset, raw.bad.offset);
            assert.equal(statSync(raw.bad.file).size, raw.bad.offset, 'cleanly truncated');
          }
        } finally {
          await j.close();
        }
      }
      assert.ok(totalAcked > KILLS, `only ${totalAcked} acknowledged records in ${KILLS} runs`);
      assert.ok(tornSeen >= tornInjected && tornInjected > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
