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
  /** Records written (the last record's journal sequence; 0 for an empty stream). */
  records: number;
  /** Bytes written to the segment. */
  bytes: number;
  /** The segment file written (undefined for an empty stream). */
  segment: string | undefined;
}

/**
 * Reads stream `stream` from its first record to its last (as of the call) and writes the records
 * into `dir` (created; must hold no journal yet) as one journal segment starting at sequence 1,
 * fsynced. Every message holds one or more consecutive records; each is checked on the way: its
 * CRC framing, and that the journal sequences run 1, 2, 3, … with no hole. Open the directory with `OrderJournal.open` afterwards:
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
  const { first_seq: first, last_seq: lastMsg, messages } = info.state;
  if (messages === 0 || lastMsg === 0) return { records: 0, bytes: 0, segment: undefined };
  if (first !== 1) {
    throw new ReplicationGapError(`stream ${stream} starts at message ${first}, not 1 (older records expired by maxAgeMs/maxBytes or were purged): the state cannot be rebuilt from the stream alone`, { stream, first, last: lastMsg });
  }
  const file = path.join(dir, segmentName(1));
  const fd = openSync(file, 'wx');
  let bytes = 0;
  let nextMsg = 1;
  let nextRecord = 1;
  try {
    const consumer = await jsm.jetstream().consumers.get(stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 1 });
    while (nextMsg <= lastMsg) {
      const before = nextMsg;
      const msgs = await consumer.fetch({ max_messages: Math.min(batch, lastMsg - nextMsg + 1), expires: timeoutMs });
      for await (const m of msgs) {
        if (m.seq !== nextMsg) throw new ReplicationGapError(`stream ${stream}: message ${nextMsg} expected, ${m.seq} arrived`, { stream, expected: nextMsg, got: m.seq });
        const data = Buffer.from(m.data);
        // One message holds one or more consecutive records, framed as on disk.
        let off = 0;
        while (off < data.length) {
          const r = decodeRecordAt(data, off, data.length, maxRecordBytes);
          if (!r.ok) throw new ReplicationGapError(`stream ${stream}: message ${m.seq} at byte ${off} is not a journal record (${r.reason})`, { stream, seq: m.seq, offset: off });
          if (r.record.seq !== nextRecord) throw new ReplicationGapError(`stream ${stream}: message ${m.seq} holds record ${r.record.seq} where ${nextRecord} was expected`, { stream, seq: m.seq, record: r.record.seq, expected: nextRecord });
          nextRecord++;
          off += r.bytes;
        }
        if (data.length === 0) throw new ReplicationGapError(`stream ${stream}: message ${m.seq} is empty`, { stream, seq: m.seq });
        writeSync(fd, data);
        bytes += data.length;
        nextMsg++;
        if (nextMsg > lastMsg) break;
      }
      if (nextMsg === before) throw new ReplicationGapError(`stream ${stream}: no message ${nextMsg} within ${timeoutMs} ms (stream ends at ${lastMsg})`, { stream, next: nextMsg, last: lastMsg });
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  fsyncDir(dir);
  return { records: nextRecord - 1, bytes, segment: file };
}
