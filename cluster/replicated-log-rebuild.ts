// Rebuilding a node's engine state from the replicated order log alone: the stream's records are
// written, byte for byte, into a fresh local journal directory, which the ordinary journal replay
// (`OrderJournal.open`) then reads like any journal. See docs/deployment.md.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, writeSync } from 'node:fs';
import path from 'node:path';
import { DeliverPolicy, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { fsyncDir } from '../actors/journal/fs-util.js';
import { decodeRecordAt } from '../actors/journal/record.js';
import { segmentName } from '../actors/journal/segments.js';
import { ReplicationGapError } from './replication-errors.js';

/** What {@link rebuildJournalFromStream} wrote. */
export interface RebuildReport {
  /** Records written (= the stream's last sequence; 0 for an empty stream). */
  records: number;
  /** Bytes written to the segment. */
  bytes: number;
  /** The segment file written (undefined for an empty stream). */
  segment: string | undefined;
}

/**
 * Reads stream `stream` from its first record to its last (as of the call) and writes the records
 * into `dir` (created; must hold no journal yet) as one journal segment starting at sequence 1,
 * fsynced. Every record is checked on the way: its CRC framing, and that its journal sequence
 * equals its stream sequence with no hole. Open the directory with `OrderJournal.open` afterwards:
 * the state it replays is the writer's. Throws {@link ReplicationGapError} for a stream that does
 * not start at record 1 (its head expired: `maxAgeMs`/`maxBytes`) or that breaks the numbering, and
 * when `dir` already holds journal files (never overwrites a journal).
 */
export async function rebuildJournalFromStream(nc: NatsConnection, stream: string, dir: string, opts: { maxRecordBytes?: number; batch?: number; timeoutMs?: number } = {}): Promise<RebuildReport> {
  const maxRecordBytes = opts.maxRecordBytes ?? 2 ** 20;
  const batch = opts.batch ?? 1000;
  const timeoutMs = opts.timeoutMs ?? 5000;
  mkdirSync(dir, { recursive: true });
  if (existsSync(dir) && readdirSync(dir).some((n) => /^(segment|snapshot)-/.test(n))) {
    throw new ReplicationGapError(`rebuild target ${dir} already holds a journal: rebuild into an empty directory`, { dir });
  }
  const jsm = await jetstreamManager(nc, { timeout: timeoutMs });
  const info = await jsm.streams.info(stream);
  const { first_seq: first, last_seq: last, messages } = info.state;
  if (messages === 0 || last === 0) return { records: 0, bytes: 0, segment: undefined };
  if (first !== 1) {
    throw new ReplicationGapError(`stream ${stream} starts at record ${first}, not 1 (older records expired by maxAgeMs/maxBytes): the state cannot be rebuilt from the stream alone`, { stream, first, last });
  }
  const file = path.join(dir, segmentName(1));
  const fd = openSync(file, 'wx');
  let bytes = 0;
  let next = 1;
  try {
    const consumer = await jsm.jetstream().consumers.get(stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 1 });
    while (next <= last) {
      const before = next;
      const msgs = await consumer.fetch({ max_messages: Math.min(batch, last - next + 1), expires: timeoutMs });
      for await (const m of msgs) {
        const seq = m.seq;
        if (seq !== next) throw new ReplicationGapError(`stream ${stream}: record ${next} expected, stream sequence ${seq} arrived`, { stream, expected: next, got: seq });
        const data = Buffer.from(m.data);
        const r = decodeRecordAt(data, 0, data.length, maxRecordBytes);
        if (!r.ok || r.bytes !== data.length) throw new ReplicationGapError(`stream ${stream}: message ${seq} is not one journal record (${r.ok ? 'trailing bytes' : r.reason})`, { stream, seq });
        if (r.record.seq !== seq) throw new ReplicationGapError(`stream ${stream}: message ${seq} holds journal record ${r.record.seq}`, { stream, seq, record: r.record.seq });
        writeSync(fd, data);
        bytes += data.length;
        next++;
        if (next > last) break;
      }
      if (next === before) throw new ReplicationGapError(`stream ${stream}: no record ${next} within ${timeoutMs} ms (stream ends at ${last})`, { stream, next, last });
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  fsyncDir(dir);
  return { records: last, bytes, segment: file };
}
