/**
 * A minimal HTTP/1.1 client for OTLP/HTTP export: `POST <path>` with an `application/x-protobuf`
 * body over at most `maxConnections` kept-alive TCP (or TLS) connections, one request at a time on
 * each (no pipelining), requests beyond that waiting in order. It reads the status line and skips
 * the reply body (`Content-Length`, `chunked`, or until close).
 *
 * Why not `node:http`: `npm run bench tracing` on the shared 2-core machine (6 jobs) measured
 * Node's client at ~0.8 ms of user CPU per export request (~39 µs per sampled order, two thirds
 * of a sampled order's whole trace cost then; records and encoding were ~25 µs) against a few
 * tens of µs for writing the same bytes to a socket. OTLP needs one request shape and the status
 * code, nothing else.
 */
import net from 'node:net';
import tls from 'node:tls';

/** Result of one request: 2xx → ok; otherwise why (HTTP status, socket error, timeout). */
export type PostDone = (ok: boolean, why: string) => void;

/** A connection kept alive longer than this without use is replaced (servers close idle ones). */
const IDLE_MS = 4000;
/** Status line + headers larger than this: not an HTTP reply we can use. */
const MAX_HEAD = 64 * 1024;
const EMPTY = Buffer.alloc(0);
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

interface Waiting {
  body: Buffer;
  room: number;
  done: PostDone;
}

class Connection {
  readonly socket: net.Socket;
  /** The request in flight, if any. */
  private current: PostDone | undefined;
  private timer: NodeJS.Timeout | undefined;
  private buf: Buffer = EMPTY;
  /** Reply body bytes still to skip (Content-Length), -1 chunked, -2 until close, -3 reading the head. */
  private mode = -3;
  private status = 0;
  private keepAlive = true;
  lastUsed = Date.now();
  closed = false;

  constructor(
    url: URL,
    private readonly pool: OtlpHttpClient,
  ) {
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const host = url.hostname.replace(/^\[|\]$/g, '');
    this.socket = url.protocol === 'https:' ? tls.connect({ host, port, servername: net.isIP(host) === 0 ? host : undefined }) : net.connect(port, host);
    this.socket.setNoDelay(true);
    this.socket.on('data', (c: Buffer) => this.onData(c));
    this.socket.on('error', (e) => this.fail(e.message));
    this.socket.on('close', () => {
      this.closed = true;
      if (this.mode === -2 && this.current !== undefined) this.finish();
      else this.fail('connection closed before the reply');
      this.pool.closed(this);
    });
  }

  get idle(): boolean {
    return this.current === undefined && !this.closed;
  }

  /**
   * Writes one request. With `room` free bytes before `body` in its memory (the exporter's head
   * room) and a head that fits, the head is written there and head + body leave in one write;
   * otherwise as two buffers in one corked write.
   */
  send(head: string, body: Buffer, room: number, done: PostDone, timeoutMs: number): void {
    this.current = done;
    this.socket.ref();
    this.buf = EMPTY;
    this.mode = -3;
    this.status = 0;
    this.keepAlive = true;
    this.timer = setTimeout(() => this.fail(`export timed out after ${timeoutMs} ms`), timeoutMs);
    this.timer.unref();
    const n = head.length;
    if (room >= n && body.byteOffset >= n) {
      const whole = Buffer.from(body.buffer, body.byteOffset - n, n + body.length);
      whole.write(head, 0, n, 'latin1');
      this.socket.write(whole);
      return;
    }
    this.socket.cork();
    this.socket.write(Buffer.from(head, 'latin1'));
    this.socket.write(body);
    this.socket.uncork();
  }

  /** Ends the request in flight as failed and drops the connection. */
  fail(why: string): void {
    const d = this.current;
    this.current = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.closed = true;
    this.socket.destroy();
    d?.(false, why);
  }

  private finish(): void {
    const d = this.current;
    this.current = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.buf = EMPTY;
    this.lastUsed = Date.now();
    const ok = this.status >= 200 && this.status < 300;
    if (!this.keepAlive || this.mode === -2) {
      this.closed = true;
      this.socket.destroy();
    }
    // an idle kept-alive connection does not keep the process alive (as node:http's agent)
    if (!this.closed) this.socket.unref();
    d?.(ok, `HTTP ${this.status}`);
    if (!this.closed) this.pool.ready(this);
  }

  private onData(chunk: Buffer): void {
    if (this.current === undefined) return; // nothing asked: ignore
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.mode === -3) {
      const end = this.buf.indexOf(CRLFCRLF);
      if (end < 0) {
        if (this.buf.length > MAX_HEAD) this.fail('reply headers too large');
        return;
      }
      const head = this.buf.toString('latin1', 0, end);
      const m = /^HTTP\/1\.([01]) (\d{3})/.exec(head);
      if (m === null) {
        this.fail('not an HTTP/1.x reply');
        return;
      }
      this.status = Number(m[2]);
      const h = head.toLowerCase();
      this.keepAlive = m[1] === '1' ? !/\r\nconnection:[ \t]*close/.test(h) : /\r\nconnection:[ \t]*keep-alive/.test(h);
      const len = /\r\ncontent-length:[ \t]*(\d+)/.exec(h);
      if (/\r\ntransfer-encoding:[^\r]*chunked/.test(h)) this.mode = -1;
      else if (len !== null) this.mode = Number(len[1]);
      else if (this.status === 204 || this.status === 304 || (this.status >= 100 && this.status < 200)) this.mode = 0;
      else this.mode = -2;
      this.buf = this.buf.subarray(end + 4);
      if (this.status >= 100 && this.status < 200) {
        // an interim reply (100 Continue): the real one follows
        this.mode = -3;
        if (this.buf.length > 0) this.onData(EMPTY);
        return;
      }
    }
    if (this.mode >= 0) {
      if (this.buf.length >= this.mode) this.finish();
      return;
    }
    if (this.mode === -1) this.skipChunks();
  }

  /** Consumes complete chunks; finishes at the last one (size 0, then the trailer's empty line). */
  private skipChunks(): void {
    for (;;) {
      const eol = this.buf.indexOf('\r\n', 0, 'latin1');
      if (eol < 0) return;
      const size = parseInt(this.buf.toString('latin1', 0, eol), 16);
      if (!Number.isFinite(size)) {
        this.fail('bad chunk size in the reply');
        return;
      }
      if (size === 0) {
        if (this.buf.indexOf(CRLFCRLF, eol) >= 0 || this.buf.length >= eol + 4) this.finish();
        return;
      }
      if (this.buf.length < eol + 2 + size + 2) return;
      this.buf = this.buf.subarray(eol + 2 + size + 2);
    }
  }
}

/** POSTs OTLP protobuf bodies to one URL over a small pool of kept-alive connections. */
export class OtlpHttpClient {
  private readonly conns: Connection[] = [];
  private readonly waiting: Waiting[] = [];
  private readonly headPrefix: string;
  private stopped = false;

  constructor(
    private readonly url: URL,
    headers: Readonly<Record<string, string>>,
    private readonly maxConnections: number,
    private readonly timeoutMs: number,
  ) {
    let head = `POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/x-protobuf\r\nUser-Agent: bot4-otlp\r\n`;
    if (url.username !== '') head += `Authorization: Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    this.headPrefix = head;
  }

  /**
   * Sends one request; `done` is called exactly once. `room`: bytes before `body` in its memory
   * that this client may overwrite with the HTTP head (one socket write); 0: none.
   */
  post(body: Buffer, done: PostDone, room = 0): void {
    if (this.stopped) {
      done(false, 'tracing shut down');
      return;
    }
    const now = Date.now();
    for (const c of this.conns) {
      if (!c.idle) continue;
      if (now - c.lastUsed > IDLE_MS) {
        c.fail('idle');
        continue;
      }
      this.sendOn(c, body, room, done);
      return;
    }
    if (this.conns.length < this.maxConnections) {
      const c = new Connection(this.url, this);
      this.conns.push(c);
      this.sendOn(c, body, room, done);
      return;
    }
    this.waiting.push({ body, room, done });
  }

  /** Fails what is in flight or waiting and closes every connection. */
  stop(): void {
    this.stopped = true;
    for (const w of this.waiting.splice(0)) w.done(false, 'tracing shut down');
    for (const c of [...this.conns]) c.fail('tracing shut down');
  }

  /** A connection finished its request and stays open: give it the next waiting one. */
  ready(c: Connection): void {
    const w = this.waiting.shift();
    if (w !== undefined) this.sendOn(c, w.body, w.room, w.done);
  }

  /** A connection closed: forget it; a waiting request gets a new one. */
  closed(c: Connection): void {
    const i = this.conns.indexOf(c);
    if (i >= 0) this.conns.splice(i, 1);
    const w = this.waiting.shift();
    if (w !== undefined) this.post(w.body, w.done, w.room);
  }

  /** Bytes the head of a request can take at most (prefix + `Content-Length` line): the head room to ask for. */
  get headRoom(): number {
    return this.headPrefix.length + 40;
  }

  private sendOn(c: Connection, body: Buffer, room: number, done: PostDone): void {
    c.send(`${this.headPrefix}Content-Length: ${body.length}\r\n\r\n`, body, room, done, this.timeoutMs);
  }
}
