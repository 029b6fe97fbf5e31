import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import WebSocket from 'ws';
import { parseOptions, z } from '../common/validate.js';
import { DAEMON_DEFAULTS } from './config.js';
import { CliConnectError, CliRequestError } from './errors.js';

/** Defaults of the options every daemon-facing command shares. */
export const CLIENT_DEFAULTS = Object.freeze({
  url: 'ws://127.0.0.1:8080/ws',
  timeoutMs: 5000,
  tokenFile: DAEMON_DEFAULTS.auth.tokenFile,
});

const schema = z.strictObject({
  '--url': z.string().regex(/^wss?:\/\/[^\s]+$/, 'a ws:// or wss:// URL'),
  '--timeout': z.number().int().min(100).max(600_000),
  '--token': z.string().min(1).max(512).optional(),
  '--token-file': z.string().min(1),
  '--json': z.boolean(),
});

/** Validated connection options. */
export interface ClientOptions {
  url: string;
  timeoutMs: number;
  /** undefined: no token found (requests that need a role will be refused). */
  token: string | undefined;
  json: boolean;
}

/** Adds `--url`, `--token`, `--token-file`, `--timeout` and `--json` to a command. */
export function connectionOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', `the daemon's /ws URL (default: $BOT4_URL, else ${CLIENT_DEFAULTS.url})`)
    .option('--token <token>', 'API token (default: $BOT4_TOKEN, else the daemon\'s local token file)')
    .option('--token-file <file>', 'token file written by a daemon without configured tokens', CLIENT_DEFAULTS.tokenFile)
    .option('--timeout <ms>', 'give up on a request after this long', String(CLIENT_DEFAULTS.timeoutMs))
    .option('--json', 'print the raw JSON result instead of a table', false);
}

/** Validates the connection options once (`--timeout: expected a value >= 100, got 5`). URL: flag, then `BOT4_URL`, then the default. Token: flag, then `BOT4_TOKEN`, then the token file. */
export function parseClientOptions(raw: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ClientOptions {
  const t = raw.timeout;
  const o = parseOptions(
    schema,
    {
      '--url': raw.url ?? (env.BOT4_URL === undefined || env.BOT4_URL === '' ? CLIENT_DEFAULTS.url : env.BOT4_URL),
      '--timeout': typeof t === 'string' && /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t,
      '--token': raw.token,
      '--token-file': raw.tokenFile,
      '--json': raw.json === true,
    },
    '',
  );
  let token = o['--token'] ?? (env.BOT4_TOKEN === undefined || env.BOT4_TOKEN === '' ? undefined : env.BOT4_TOKEN);
  if (token === undefined && existsSync(o['--token-file'])) token = readFileSync(o['--token-file'], 'utf8').trim() || undefined;
  return { url: o['--url'], timeoutMs: o['--timeout'], token, json: o['--json'] };
}

interface Reply {
  id?: string | number | null;
  ok?: boolean;
  result?: unknown;
  error?: { code: string; message: string };
  /** Set on pushed events (which carry no id). */
  topic?: string;
  data?: unknown;
}

/** Receives the events of the topics a client subscribed to. */
export type DaemonEventListener = (topic: string, data: unknown) => void;

/** A minimal request/reply client of the daemon's `/ws` (the CLI's only way in). */
export class DaemonClient {
  private nextId = 1;
  private readonly waiting = new Map<string, { resolve: (r: Reply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private eventListener: DaemonEventListener | undefined;
  /** Resolves with the close code once the connection has closed (from either side). */
  readonly closed: Promise<number>;

  private constructor(
    private readonly ws: WebSocket,
    private readonly opts: ClientOptions,
  ) {
    let closedWith: (code: number) => void = () => undefined;
    this.closed = new Promise((resolve) => (closedWith = resolve));
    ws.on('message', (data: Buffer) => {
      let m: Reply;
      try {
        m = JSON.parse(data.toString('utf8')) as Reply;
      } catch {
        return;
      }
      if (m.id === undefined && typeof m.topic === 'string') {
        this.eventListener?.(m.topic, m.data);
        return;
      }
      const w = typeof m.id === 'string' ? this.waiting.get(m.id) : undefined;
      if (w === undefined) return;
      this.waiting.delete(m.id as string);
      clearTimeout(w.timer);
      w.resolve(m);
    });
    ws.on('close', (code) => {
      closedWith(code);
      for (const w of this.waiting.values()) {
        clearTimeout(w.timer);
        w.reject(new CliConnectError(opts.url, `connection closed (${code})`));
      }
      this.waiting.clear();
    });
  }

  /** Connects (token in the `Authorization` header); rejects with {@link CliConnectError}. */
  static connect(opts: ClientOptions): Promise<DaemonClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(opts.url, { handshakeTimeout: opts.timeoutMs, ...(opts.token === undefined ? {} : { headers: { authorization: `Bearer ${opts.token}` } }) });
      ws.once('open', () => resolve(new DaemonClient(ws, opts)));
      ws.once('unexpected-response', (_req, res) => {
        reject(new CliConnectError(opts.url, res.statusCode === 401 ? 'HTTP 401: the token was refused (GW_AUTH_FAILED)' : `HTTP ${res.statusCode}`));
        ws.terminate();
      });
      ws.once('error', (e: NodeJS.ErrnoException) => reject(new CliConnectError(opts.url, e.code ?? e.message)));
    });
  }

  /** Sends one request; resolves with its result or rejects with {@link CliRequestError} carrying the `GW_*` code. */
  request<T = unknown>(op: string, args?: Record<string, unknown>): Promise<T> {
    const id = `cli-${this.nextId++}`;
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new CliRequestError(op, 'TIMEOUT', `no reply within ${this.opts.timeoutMs} ms`));
      }, this.opts.timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ v: 1, id, op, ...(args === undefined ? {} : { args }) }));
    }).then((r) => {
      if (r.ok !== true) throw new CliRequestError(op, r.error?.code ?? 'UNKNOWN', r.error?.message ?? 'request failed');
      return r.result as T;
    });
  }

  /** Sets the one listener of pushed events (`subscribe` first); replaces any earlier one. */
  onEvent(listener: DaemonEventListener): void {
    this.eventListener = listener;
  }

  close(): void {
    this.ws.close();
  }
}

/** Connects, runs `fn`, always closes. */
export async function withClient<T>(opts: ClientOptions, fn: (c: DaemonClient) => Promise<T>): Promise<T> {
  const c = await DaemonClient.connect(opts);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

/**
 * A plain-text table: a header row, a rule, then the rows, columns padded to their widest cell.
 * Numbers are right-aligned, everything else left-aligned.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = rows.map((r) => headers.map((_, i) => cell(r[i])));
  const width = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === undefined));
  const line = (r: readonly string[]): string => r.map((c, i) => (numeric[i] ? c.padStart(width[i]!) : c.padEnd(width[i]!))).join('  ').trimEnd();
  return [line(headers), width.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

function cell(v: unknown): string {
  if (v === undefined || v === null) return '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
