// Events across nodes survive a NATS outage (docs/cluster.md "Events after a NATS outage"): every
// event a node exports carries its node's sequence number; a receiver that sees a gap (a later
// event, or an announcement naming a later number) asks the exporting node for what it missed.
// The exporter answers from a bounded in-memory log of its recent events (the same events, in
// order); when the missed ones are no longer there, with a snapshot of its orders. Two halves:
// {@link ExportLog} on the exporting side, {@link ImportSequencer} on the receiving side.
import { randomBytes } from 'node:crypto';

/** One exported event as it travels (`gw.event` payload). */
export interface SequencedEvent {
  topic: string;
  data: Record<string, unknown>;
  /** 1, 2, 3, … per exporting gateway (per `boot`). */
  seq: number;
  /** Random id of the exporting gateway's start: a restarted node numbers from 1 again. */
  boot: string;
}

/** Answer to `gw.replay`: the missed events (a page of at most `maxPage`), or a snapshot when they are gone. */
export type ReplayPage =
  | { boot: string; seq: number; events: SequencedEvent[]; more: boolean }
  | { boot: string; seq: number; snapshot: Record<string, unknown>[] };

/** Events per `gw.replay` answer (NATS `max_payload` is 1 MB: ~500 B per event leaves room). */
export const REPLAY_PAGE = 500;

/** The exporting side: numbers every event and keeps the last `capacity` of them for replays. */
export class ExportLog {
  readonly boot = randomBytes(6).toString('hex');
  private seqNo = 0;
  /** Ring of the newest events: `ring[(seq - 1) % capacity]`. */
  private readonly ring: (SequencedEvent | undefined)[];

  constructor(readonly capacity: number) {
    this.ring = new Array<SequencedEvent | undefined>(capacity);
  }

  /** The last number given (0: none yet). */
  get seq(): number {
    return this.seqNo;
  }

  /** Numbers the event and keeps it (the oldest kept one goes when full). */
  append(topic: string, data: Record<string, unknown>): SequencedEvent {
    const ev: SequencedEvent = { topic, data, seq: ++this.seqNo, boot: this.boot };
    if (this.capacity > 0) this.ring[(ev.seq - 1) % this.capacity] = ev;
    return ev;
  }

  /**
   * The events from `from` on (at most `maxPage`), when every one of them is still kept; undefined
   * when some are gone (the caller answers with a snapshot). A request for another boot (the
   * receiver knew an earlier start of this node) is answered from this boot's first event.
   */
  replay(boot: string, from: number, maxPage = REPLAY_PAGE): { events: SequencedEvent[]; more: boolean } | undefined {
    const start = boot === this.boot ? Math.max(1, from) : 1;
    const oldest = Math.max(1, this.seqNo - this.capacity + 1);
    if (start > this.seqNo) return { events: [], more: false };
    if (start < oldest || this.capacity === 0) return undefined;
    const end = Math.min(this.seqNo, start + maxPage - 1);
    const events: SequencedEvent[] = [];
    for (let s = start; s <= end; s++) events.push(this.ring[(s - 1) % this.capacity]!);
    return { events, more: end < this.seqNo };
  }
}

/** Where a receiver stands with one exporting node. */
interface NodeStream {
  boot: string;
  /** The last event applied. */
  seq: number;
  replaying: boolean;
  /** Events that arrived during a replay or after a gap (applied once the replay ends; bounded). */
  held: SequencedEvent[];
}

/** What the receiver does with events and replays (the cluster gateway). */
export interface SequencerHooks {
  /** Applies one event of `node` (remember, emit to `/ws` subscribers). */
  apply(node: string, ev: SequencedEvent): void;
  /** Applies a snapshot of `node`'s orders (the missed events are gone). */
  applySnapshot(node: string, orders: Record<string, unknown>[]): void;
  /** Asks `node` for its events from `from` of `boot` (`gw.replay`). */
  fetch(node: string, boot: string, from: number): Promise<ReplayPage>;
  /** A replay failed (NATS down again, node gone): the next announcement retries. */
  failed(node: string, err: unknown): void;
}

/** Most events held per node while a replay runs (beyond: dropped, the replay itself covers them). */
const MAX_HELD = 10_000;
/** Pages per replay (bounded: a node that keeps producing faster than it replays is caught up by the next announcement). */
const MAX_PAGES = 100;

/**
 * The receiving side: applies each node's events once, in its order, and fills every gap from
 * that node ({@link SequencerHooks.fetch}) before applying what came after it.
 */
export class ImportSequencer {
  private readonly nodes = new Map<string, NodeStream>();
  /** Counters since start (`status.clusterGateway`). */
  readonly counters = { gaps: 0, replayed: 0, snapshots: 0, duplicates: 0, replayFailures: 0 };

  constructor(private readonly hooks: SequencerHooks) {}

  /** An event of `node`. */
  event(node: string, ev: SequencedEvent): void {
    let s = this.nodes.get(node);
    if (s === undefined) {
      // first contact: what came before is not owed (like a client that subscribes late)
      s = { boot: ev.boot, seq: ev.seq - 1, replaying: false, held: [] };
      this.nodes.set(node, s);
    } else if (s.boot !== ev.boot) {
      // the node started again: its numbering starts at 1
      s.boot = ev.boot;
      s.seq = 0;
      s.held = [];
    }
    if (s.replaying) return this.hold(s, ev);
    if (ev.seq <= s.seq) {
      this.counters.duplicates++;
      return;
    }
    if (ev.seq > s.seq + 1) {
      this.hold(s, ev);
      return this.resync(node, s);
    }
    s.seq = ev.seq;
    this.hooks.apply(node, ev);
  }

  /** An announcement of `node`: its last event number; a later one than applied here is a gap. */
  announced(node: string, boot: string, seq: number): void {
    const s = this.nodes.get(node);
    if (s === undefined) {
      this.nodes.set(node, { boot, seq, replaying: false, held: [] });
      return;
    }
    if (s.boot !== boot) {
      s.boot = boot;
      s.seq = 0;
      s.held = [];
    }
    if (!s.replaying && seq > s.seq) this.resync(node, s);
  }

  private hold(s: NodeStream, ev: SequencedEvent): void {
    if (s.held.length < MAX_HELD) s.held.push(ev);
  }

  private resync(node: string, s: NodeStream): void {
    s.replaying = true;
    this.counters.gaps++;
    void this.replayFrom(node, s).then(
      () => this.finish(node, s),
      (err: unknown) => {
        this.counters.replayFailures++;
        s.replaying = false;
        this.hooks.failed(node, err);
      },
    );
  }

  private async replayFrom(node: string, s: NodeStream): Promise<void> {
    for (let page = 0; page < MAX_PAGES; page++) {
      const boot = s.boot;
      const r = await this.hooks.fetch(node, boot, s.seq + 1);
      if (r.boot !== s.boot) {
        // the node started again meanwhile: its events of the new boot from 1
        s.boot = r.boot;
        s.seq = 0;
        s.held = s.held.filter((e) => e.boot === r.boot);
      }
      if ('snapshot' in r) {
        this.counters.snapshots++;
        s.seq = r.seq;
        this.hooks.applySnapshot(node, r.snapshot);
        return;
      }
      for (const ev of r.events) {
        if (ev.seq <= s.seq) continue;
        s.seq = ev.seq;
        this.counters.replayed++;
        this.hooks.apply(node, ev);
      }
      if (!r.more) return;
    }
  }

  /** After a replay: what arrived meanwhile, in order, through {@link event} (a gap among them resyncs again). */
  private finish(node: string, s: NodeStream): void {
    s.replaying = false;
    const held = s.held.sort((a, b) => a.seq - b.seq);
    s.held = [];
    for (const ev of held) {
      if (ev.boot !== s.boot) continue;
      this.event(node, ev);
      if (s.replaying) {
        // a new gap: the rest waits for that replay
        for (const rest of held.slice(held.indexOf(ev) + 1)) this.hold(s, rest);
        return;
      }
    }
  }
}
