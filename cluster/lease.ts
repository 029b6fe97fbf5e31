// Exactly one owner per venue account: a lease in a JetStream KV bucket, written only with
// revision-checked create/update, renewed by its owner, taken over by a standby when the owner stops
// renewing, and a fence on the order path that closes before the lease can pass to anyone else.
// See docs/deployment.md#venue-lease-and-fencing.
import { JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Clock, TimerHandle } from '../common/clock.js';
import { logger } from '../common/log.js';
import type { OrderGate } from '../actors/journal/order-journal.js';
import type { LeaseOptions } from './replication-options.js';
import { LeaseHeldError, LeaseStaleError } from './replication-errors.js';

/** What the lease key holds: who owns it and the term (the revision that began the ownership). */
export interface LeaseValue {
  owner: string;
  /** Absent in the write that acquires (its own revision is the term). */
  term?: number;
}

/** A lease holder's view (see {@link VenueLease.status}). */
export interface LeaseStatus {
  role: 'standby' | 'owner' | 'stopped';
  key: string;
  node: string;
  /** The term this node owns (undefined unless owner). Journaled with every order as `l`. */
  term: number | undefined;
  /** Revision of this node's last write. */
  revision: number | undefined;
  /** Milliseconds of validity left (owner; 0 once fenced). */
  validForMs: number;
  /** The last owner seen in the bucket and its term. */
  seenOwner: string | undefined;
  seenTerm: number | undefined;
}

/** Called when this node becomes the owner, and when it stops being (reason). */
export interface LeaseListener {
  acquired?(term: number): void;
  lost?(term: number, reason: string): void;
}

const WRONG_LAST_SEQUENCE = 10071;
const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * One venue account's lease (`key`, e.g. the venue id) in KV bucket `bucket` (created with the
 * lease TTL as its max age: an entry not rewritten within `ttlMs` disappears, a backstop for when
 * no standby watches).
 *
 * - Owner: renews every `renewMs` with an update checked against its last revision. Its orders
 *   pass the fence (an {@link OrderGate}) only until `sent + ttlMs - marginMs`, where `sent` is when
 *   its last successful renewal was sent: a renewal the owner cannot get through (NATS down, a
 *   partition) closes the fence `marginMs` before the lease could pass to a standby.
 * - Standby: reads the key every `renewMs`; when the revision has not changed for `ttlMs` of its
 *   own clock (or the key is gone) it takes over with an update checked against the revision it
 *   saw (or a create): of several standbys exactly one wins. The standby measures from when it
 *   first saw the revision, which is after it was written, which is after the owner sent it: the
 *   owner's fence closed at least `marginMs` earlier (clock rates, not clocks, must agree).
 * - An owner that sees a newer term (a watch on the key) or whose renewal loses the revision check
 *   becomes a standby at once (`lost`).
 */
export class VenueLease implements OrderGate {
  private role: LeaseStatus['role'] = 'standby';
  private termValue: number | undefined;
  private revision: number | undefined;
  private validUntilNs = 0;
  private sentNs = 0;
  private seenRevision = 0;
  private seenAtNs = 0;
  private seenOwner: string | undefined;
  private seenTerm: number | undefined;
  private timer: TimerHandle | undefined;
  private busy = false;
  private warned = false;
  private watchStop: (() => void) | undefined;

  private constructor(
    private readonly kv: KV,
    readonly key: string,
    readonly node: string,
    readonly options: LeaseOptions,
    private readonly clock: Clock,
    private readonly listener: LeaseListener,
  ) {}

  /**
   * Opens (creating if needed) the bucket and returns a lease handle in the standby role; call
   * {@link start} to contend for it. Throws when NATS does not answer (the caller decides to retry).
   */
  static async open(nc: NatsConnection, options: LeaseOptions, o: { key: string; node: string; clock: Clock; listener?: LeaseListener; replicas?: number }): Promise<VenueLease> {
    const kv = await new Kvm(nc).create(options.bucket, { ttl: options.ttlMs, history: 1, ...(o.replicas === undefined ? {} : { replicas: o.replicas }) });
    return new VenueLease(kv, o.key, o.node, options, o.clock, o.listener ?? {});
  }

  /** Where this node stands. */
  get status(): LeaseStatus {
    return {
      role: this.role,
      key: this.key,
      node: this.node,
      term: this.termValue,
      revision: this.revision,
      validForMs: this.role === 'owner' ? Math.max(0, (this.validUntilNs - this.clock.nowNs()) / 1e6) : 0,
      seenOwner: this.seenOwner,
      seenTerm: this.seenTerm,
    };
  }

  /** True while this node owns the lease and its fence is open. */
  get valid(): boolean {
    return this.admit() === undefined;
  }

  /** Clock ns when the last successful renewal (or the acquisition) was sent. */
  get lastSentNs(): number {
    return this.sentNs;
  }

  /** Contends now and then every `renewMs`: renews as owner, watches and takes over as standby. */
  async start(): Promise<void> {
    if (this.role === 'stopped') return;
    void this.watch();
    await this.tick();
    this.arm();
  }

  /**
   * Tries once to acquire the lease (a create: succeeds only if nobody holds it). Resolves with the
   * term, or throws {@link LeaseHeldError} when another node holds it.
   */
  async acquire(): Promise<number> {
    const sent = this.clock.nowNs();
    try {
      const rev = await this.kv.create(this.key, enc.encode(JSON.stringify({ owner: this.node } satisfies LeaseValue)));
      this.becomeOwner(rev, rev, sent);
      return rev;
    } catch (e) {
      if (isWrongLast(e)) throw new LeaseHeldError(`venue lease ${this.key} is held by ${this.seenOwner ?? 'another node'}`, { key: this.key });
      throw e;
    }
  }

  /**
   * OrderGate: refuses while this node does not surely own the lease (not owner, or its last
   * renewal was sent more than `ttlMs - marginMs` ago).
   */
  admit(): Error | undefined {
    if (this.role !== 'owner' || this.termValue === undefined) {
      return new LeaseStaleError(`node ${this.node} does not own venue lease ${this.key}${this.seenOwner === undefined ? '' : ` (owner: ${this.seenOwner}, term ${this.seenTerm})`}`, { key: this.key, node: this.node });
    }
    const now = this.clock.nowNs();
    if (now >= this.validUntilNs) {
      return new LeaseStaleError(`venue lease ${this.key} term ${this.termValue}: not renewed for ${Math.round((now - this.sentNs) / 1e6)} ms (fenced ${this.options.marginMs} ms before the ${this.options.ttlMs} ms TTL)`, { key: this.key, term: this.termValue });
    }
    return undefined;
  }

  /** OrderGate: the term is journaled with every order (`l`). */
  get fence(): number | undefined {
    return this.termValue;
  }

  /** OrderGate: the fence is checked again when the order is about to leave. */
  release<A, B>(_seq: number, done: (err: Error | undefined, a: A, b: B) => void, a: A, b: B): void {
    done(this.admit(), a, b);
  }

  /**
   * Stops contending. With `release: true` an owner deletes the key (checked against its revision),
   * so a standby takes over at its next read instead of after the TTL.
   */
  async close(opts: { release?: boolean } = {}): Promise<void> {
    const wasOwner = this.role === 'owner';
    const rev = this.revision;
    this.role = 'stopped';
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.watchStop?.();
    if (opts.release === true && wasOwner && rev !== undefined) {
      await this.kv.delete(this.key, { previousSeq: rev }).catch((e: unknown) => logger.warn({ err: e, key: this.key }, 'venue lease: release failed; it expires by TTL'));
    }
    this.termValue = undefined;
  }

  private arm(): void {
    if (this.role === 'stopped') return;
    this.timer = this.clock.setTimer(this.options.renewMs, () => {
      this.timer = undefined;
      void this.tick().finally(() => this.arm());
    });
  }

  private async tick(): Promise<void> {
    if (this.busy || this.role === 'stopped') return;
    this.busy = true;
    try {
      if (this.role === 'owner') await this.renew();
      else await this.contend();
    } finally {
      this.busy = false;
    }
  }

  private async renew(): Promise<void> {
    const term = this.termValue!;
    const sent = this.clock.nowNs();
    try {
      const rev = await this.kv.update(this.key, enc.encode(JSON.stringify({ owner: this.node, term } satisfies LeaseValue)), this.revision!, this.options.renewMs);
      if (this.role !== 'owner' || this.termValue !== term) return;
      this.revision = rev;
      this.sentNs = sent;
      this.validUntilNs = sent + (this.options.ttlMs - this.options.marginMs) * 1e6;
      this.seen(rev, this.node, term);
      if (this.warned) logger.info({ key: this.key, term, node: this.node }, 'venue lease renewed again');
      this.warned = false;
    } catch (e) {
      if (this.role !== 'owner' || this.termValue !== term) return;
      if (isWrongLast(e)) {
        // A renewal whose answer was lost may have been written after all: still ours if the key
        // holds our term (then the revision moves on; validity is not extended: its send time is unknown).
        const cur = await this.kv.get(this.key).catch(() => null);
        if (this.role !== 'owner' || this.termValue !== term) return;
        if (cur !== null && cur.operation === 'PUT') {
          const v = parseValue(cur);
          if (v.owner === this.node && v.term === term) {
            this.revision = cur.revision;
            return;
          }
        }
        return this.lose(`renewal refused: the key changed after revision ${this.revision} (taken over, or expired)`);
      }
      if (!this.warned) logger.warn({ err: (e as Error).message, key: this.key, term, validForMs: Math.max(0, (this.validUntilNs - this.clock.nowNs()) / 1e6) }, 'venue lease: renewal failed; orders stop when the validity runs out');
      this.warned = true;
    }
  }

  private async contend(): Promise<void> {
    let entry: KvEntry | null;
    try {
      entry = await this.kv.get(this.key);
    } catch {
      return;
    }
    if (this.role !== 'standby') return;
    const now = this.clock.nowNs();
    const sent = now;
    if (entry === null || entry.operation !== 'PUT') {
      try {
        const rev = await this.kv.create(this.key, enc.encode(JSON.stringify({ owner: this.node } satisfies LeaseValue)));
        if (this.role === 'standby') this.becomeOwner(rev, rev, sent);
      } catch {
        // another standby won the create
      }
      return;
    }
    const v = parseValue(entry);
    if (entry.revision !== this.seenRevision) {
      this.seen(entry.revision, v.owner, v.term ?? entry.revision);
      this.seenAtNs = now;
      return;
    }
    if (now - this.seenAtNs < this.options.ttlMs * 1e6) return;
    // Unchanged for a whole TTL of our clock: the owner stopped renewing. Take over, checked
    // against the revision we saw: if anyone wrote since, this fails and we keep watching.
    try {
      const rev = await this.kv.update(this.key, enc.encode(JSON.stringify({ owner: this.node } satisfies LeaseValue)), entry.revision);
      if (this.role === 'standby') {
        logger.warn({ key: this.key, node: this.node, previousOwner: v.owner, previousTerm: v.term ?? entry.revision, term: rev }, 'venue lease taken over: the owner stopped renewing');
        this.becomeOwner(rev, rev, sent);
      }
    } catch {
      // lost the race (or NATS went away): keep watching
    }
  }

  private becomeOwner(term: number, rev: number, sentNs: number): void {
    this.role = 'owner';
    this.termValue = term;
    this.revision = rev;
    this.sentNs = sentNs;
    this.validUntilNs = sentNs + (this.options.ttlMs - this.options.marginMs) * 1e6;
    this.seen(rev, this.node, term);
    logger.info({ key: this.key, node: this.node, term }, 'venue lease acquired');
    this.listener.acquired?.(term);
  }

  private lose(reason: string): void {
    const term = this.termValue!;
    this.role = 'standby';
    this.termValue = undefined;
    this.validUntilNs = 0;
    this.seenAtNs = this.clock.nowNs();
    logger.warn({ key: this.key, node: this.node, term, reason }, 'venue lease lost: orders are refused (LEASE_STALE)');
    this.listener.lost?.(term, reason);
  }

  private seen(rev: number, owner: string, term: number): void {
    this.seenRevision = rev;
    this.seenOwner = owner;
    this.seenTerm = term;
  }

  /** Watches the key: an owner learns of a newer term without waiting for its next renewal. */
  private async watch(): Promise<void> {
    try {
      const it = await this.kv.watch({ key: this.key });
      this.watchStop = () => it.stop();
      if (this.role === 'stopped') it.stop();
      for await (const e of it) {
        if (this.role !== 'owner' || this.termValue === undefined || e.revision <= (this.revision ?? 0)) continue;
        if (e.operation !== 'PUT') {
          this.lose(`the key was deleted at revision ${e.revision}`);
          continue;
        }
        const v = parseValue(e);
        if (v.owner !== this.node || (v.term ?? e.revision) !== this.termValue) {
          this.seen(e.revision, v.owner, v.term ?? e.revision);
          this.lose(`${v.owner} wrote term ${v.term ?? e.revision} at revision ${e.revision}`);
        }
      }
    } catch (e) {
      if (this.role !== 'stopped') logger.debug({ err: (e as Error).message, key: this.key }, 'venue lease watch ended; renewals still detect a takeover');
    }
  }
}

function parseValue(e: KvEntry): LeaseValue {
  try {
    const v = JSON.parse(dec.decode(e.value)) as Partial<LeaseValue>;
    return { owner: typeof v.owner === 'string' ? v.owner : '?', ...(typeof v.term === 'number' ? { term: v.term } : {}) };
  } catch {
    return { owner: '?' };
  }
}

function isWrongLast(e: unknown): boolean {
  return e instanceof JetStreamApiError ? e.code === WRONG_LAST_SEQUENCE : /wrong last sequence/i.test((e as Error)?.message ?? '');
}
