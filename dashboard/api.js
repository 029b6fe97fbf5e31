/* global WebSocket, location */
// The /ws client: the token goes only in the first message (`authenticate`), never in the URL.

const TOPICS = ['orders', 'fills', 'positions', 'balances', 'breakers', 'risk.denials', 'actors.latency', 'killswitch', 'status'];

/** One authenticated connection to the daemon's `/ws` API. */
export class Api {
  /**
   * @param {string} token the API token
   * @param {{ onEvent: (topic: string, data: unknown) => void, onState: (state: string, detail?: string) => void }} handlers
   */
  constructor(token, handlers) {
    this.token = token;
    this.handlers = handlers;
    this.nextId = 1;
    this.pending = new Map();
    this.ws = null;
    this.principal = null;
    this.closed = false;
    this.retryMs = 500;
    this.retryTimer = null;
  }

  /** Connects and authenticates; resolves with `{ name, roles }` or rejects with the server's error. */
  connect() {
    return new Promise((resolve, reject) => {
      const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
      const ws = new WebSocket(url);
      this.ws = ws;
      let authed = false;
      ws.onopen = () => {
        this.request('authenticate', { token: this.token }).then(
          async (p) => {
            authed = true;
            this.principal = p;
            this.retryMs = 500;
            await this.request('subscribe', { topics: TOPICS });
            this.handlers.onState('connected');
            resolve(p);
          },
          (e) => {
            this.closed = true;
            ws.close();
            reject(e);
          },
        );
      };
      ws.onmessage = (m) => this.onMessage(m.data);
      ws.onclose = (ev) => {
        for (const [, p] of this.pending) p.reject(new Error('connection closed'));
        this.pending.clear();
        if (!authed) {
          reject(new Error(`connection closed (${ev.code}${ev.reason ? ` ${ev.reason}` : ''})`));
          return;
        }
        if (this.closed) return;
        this.handlers.onState('reconnecting', `closed ${ev.code}`);
        this.retryTimer = setTimeout(() => this.reconnect(), this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, 10_000);
      };
    });
  }

  reconnect() {
    if (this.closed) return;
    this.connect().then(
      () => this.handlers.onState('connected', 'reconnected'),
      () => {
        /* onclose schedules the next try */
      },
    );
  }

  /** Closes for good (logout). */
  close() {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.ws !== null) this.ws.close(1000, 'logout');
  }

  onMessage(text) {
    let m;
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof m.topic === 'string') {
      this.handlers.onEvent(m.topic, m.data);
      return;
    }
    const p = this.pending.get(m.id);
    if (p === undefined) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(Object.assign(new Error(m.error?.message ?? 'request failed'), { code: m.error?.code }));
  }

  /** Sends one request; resolves with its result, rejects with `{ code, message }` of an error reply. */
  request(op, args) {
    const ws = this.ws;
    if (ws === null || ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error('not connected'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      ws.send(JSON.stringify(args === undefined ? { v: 1, id, op } : { v: 1, id, op, args }));
    });
  }
}
