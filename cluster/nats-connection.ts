import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ClusterConnectError } from './errors.js';

/**
 * One NATS connection of a node, with its state reduced to what the transport acts on:
 * `connected`, `reconnecting` (the socket dropped; the client retries every `reconnectTimeWaitMs`),
 * `closed` (closed by us, or reconnect attempts exhausted). Listeners hear every change.
 */
export type ConnectionState = 'connected' | 'reconnecting' | 'closed';

/** Options of {@link openNatsConnection} (already validated: see remote-options.ts). */
export interface NatsConnectionOptions {
  servers: readonly string[];
  /** Client name the server shows (`bot4-<node>`). */
  name: string;
  reconnectTimeWaitMs: number;
  maxReconnectAttempts: number;
}

/** A NATS connection plus its reduced state. */
export class NatsConnectionHandle {
  private stateNow: ConnectionState = 'connected';
  private readonly listeners: ((s: ConnectionState) => void)[] = [];

  private constructor(readonly nc: NatsConnection) {
    void this.watch();
  }

  /** Connects (throws `ClusterConnectError` when no server answers). */
  static async open(o: NatsConnectionOptions): Promise<NatsConnectionHandle> {
    try {
      const nc = await connect({
        servers: [...o.servers],
        name: o.name,
        // A node never hears its own publishes: local subscribers already got them in process.
        noEcho: true,
        reconnect: true,
        reconnectTimeWait: o.reconnectTimeWaitMs,
        reconnectJitter: 0,
        maxReconnectAttempts: o.maxReconnectAttempts,
      });
      return new NatsConnectionHandle(nc);
    } catch (e) {
      throw new ClusterConnectError(o.servers, e);
    }
  }

  /** State right now. */
  get state(): ConnectionState {
    return this.stateNow;
  }

  /** Calls `fn` on every state change. */
  onState(fn: (s: ConnectionState) => void): void {
    this.listeners.push(fn);
  }

  /** Drains subscriptions and closes; state `closed`. */
  async close(): Promise<void> {
    if (this.stateNow === 'closed' && this.nc.isClosed()) return;
    this.set('closed');
    try {
      await this.nc.drain();
    } catch {
      await this.nc.close();
    }
  }

  private async watch(): Promise<void> {
    void this.nc.closed().then(() => this.set('closed'));
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnecting' || s.type === 'staleConnection') {
        if (this.stateNow === 'connected') this.set('reconnecting');
      } else if (s.type === 'reconnect') this.set('connected');
      else if (s.type === 'close') this.set('closed');
    }
  }

  private set(s: ConnectionState): void {
    if (this.stateNow === s || this.stateNow === 'closed') return;
    this.stateNow = s;
    for (const fn of this.listeners) fn(s);
  }
}
