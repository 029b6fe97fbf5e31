/**
 * One WebSocket connection of a venue port with its fault link ({@link Conn}) and the per-socket
 * data uWS keeps for it ({@link WsData}). The server (`server.ts`) creates them on open.
 */
import type uWS from 'uWebSockets.js';
import type { LinkScope } from '../faults/link.js';
import type { VenueCore } from '../venue/venue.js';
import type { FaultLink } from './faults.js';
import type { WireConn } from './streams.js';

/** What the server owning a {@link Conn} provides: the venue it serves now (its clock times delayed sends). */
export interface ConnHost {
  readonly venue: VenueCore;
}

/** Per-socket data uWS keeps for a venue WebSocket. */
export interface WsData {
  scope: LinkScope;
  conn: Conn | undefined;
  combined: boolean;
  streams: string[];
  traceparent: string | undefined;
}

/**
 * A WebSocket connection with its fault link. Messages are delayed by the link's verdict through
 * the clock, never reordered (each waits for the previous), dropped when the link says so (a
 * sequence gap the client must detect), and withheld entirely during a blackhole outage.
 */
export class Conn implements WireConn {
  closed = false;
  private pending = 0;
  private lastAtMs = 0;
  constructor(
    readonly id: number,
    readonly combined: boolean,
    readonly scope: LinkScope,
    readonly ws: uWS.WebSocket<WsData>,
    readonly link: FaultLink,
    private readonly server: ConnHost,
  ) {}

  send(msg: string): void {
    if (this.closed) return;
    const out = this.link.outage();
    if (out !== null && out.mode === 'blackhole') return;
    const d = this.link.next(msg.length);
    if (d.drop) return;
    const delay = d.delayMs;
    if (delay <= 0 && this.pending === 0) {
      this.raw(msg);
      return;
    }
    const clock = this.server.venue.clock;
    const now = clock.nowNs() / 1e6;
    const at = Math.max(now + delay, this.lastAtMs);
    this.lastAtMs = at;
    this.pending++;
    clock.setTimer(at - now, () => {
      this.pending--;
      if (!this.closed) this.ws.cork(() => this.raw(msg));
    });
  }

  private raw(msg: string): void {
    // closeOnBackpressureLimit disconnects a consumer that stops reading, as Binance does.
    this.ws.send(msg, false, false);
  }
}
