/**
 * Bounded HTTP request bodies and reply writing for the simulator's uWS handlers: the body limits
 * of the REST and control APIs, their 413 replies, {@link readBody} and {@link writeReply}.
 */
import type uWS from 'uWebSockets.js';
import type { RestReply } from './rest.js';

/**
 * Largest request body the REST API accepts, in bytes. Binance answers far smaller requests than
 * this (an order is a few hundred bytes of form data); anything larger gets 413 before it is read.
 */
export const MAX_REST_BODY_BYTES = 64 * 1024;
/** Largest control-API body, in bytes (JSON objects of a few fields). */
export const MAX_CONTROL_BODY_BYTES = 64 * 1024;

/** REST's answer to a body over {@link MAX_REST_BODY_BYTES} (Binance's `{code, msg}` shape). */
export const REST_413: RestReply = {
  status: 413,
  body: JSON.stringify({ code: -1101, msg: `Request body too large; at most ${MAX_REST_BODY_BYTES} bytes are accepted.` }),
  headers: [],
};

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  409: '409 Conflict',
  413: '413 Payload Too Large',
  415: '415 Unsupported Media Type',
  418: "418 I'm a teapot",
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

/**
 * Writes a reply (corked). Safe to call only while the response is not aborted. `close` ends the
 * connection after the reply (used after a refused body, so the rest of it is never read).
 */
export function writeReply(res: uWS.HttpResponse, reply: RestReply, close = false): void {
  // cork runs its callback synchronously: the reply is handed over in module slots, so the
  // corked writer is one function bound once, not a closure per reply.
  corkRes = res;
  corkReply = reply;
  corkClose = close;
  try {
    res.cork(corkedWrite);
  } finally {
    corkRes = undefined;
    corkReply = undefined;
  }
}

let corkRes: uWS.HttpResponse | undefined;
let corkReply: RestReply | undefined;
let corkClose = false;

function corkedWrite(): void {
  const res = corkRes!;
  const reply = corkReply!;
  res.writeStatus(STATUS_TEXT[reply.status] ?? `${reply.status} Status`);
  const h = reply.headers;
  for (let i = 0; i < h.length; i++) res.writeHeader(h[i]![0], h[i]![1]);
  res.writeHeader('Content-Type', 'application/json;charset=UTF-8');
  res.end(reply.body, corkClose);
}

/**
 * Reads a request body of at most `limit` bytes, copying each chunk (uWS reuses the buffer), then
 * calls `done`. A body announced larger by `contentLength` (the header, '' when absent) is refused
 * before a byte is read; a streamed (chunked) body is counted as it arrives and refused as soon as
 * it passes the limit: the chunks so far are dropped and later ones ignored. `tooLarge` is called
 * once then; the caller answers 413 and closes the connection (`writeReply(..., true)`).
 */
export function readBody(res: uWS.HttpResponse, contentLength: string, limit: number, done: (body: string) => void, tooLarge: () => void): void {
  if (contentLength !== '' && !(/^\d{1,15}$/.test(contentLength) && Number(contentLength) <= limit)) {
    // Still consume callbacks uWS may deliver before the connection closes.
    res.onData(() => {});
    tooLarge();
    return;
  }
  let chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  res.onData((chunk, isLast) => {
    if (refused) return;
    size += chunk.byteLength;
    if (size > limit) {
      refused = true;
      chunks = [];
      tooLarge();
      return;
    }
    if (isLast && chunks.length === 0) {
      // The whole body in one chunk (the usual case): decoded straight from uWS's buffer, which
      // is valid for the duration of this callback; the string is the copy.
      done(Buffer.from(chunk).toString('utf8'));
      return;
    }
    chunks.push(Buffer.from(chunk.slice(0)));
    if (isLast) done(Buffer.concat(chunks).toString());
  });
}

/** The control API's answer to a body over {@link MAX_CONTROL_BODY_BYTES}. */
export const CONTROL_413: RestReply = {
  status: 413,
  body: JSON.stringify({ code: -1101, msg: `Request body too large; at most ${MAX_CONTROL_BODY_BYTES} bytes are accepted.`, error: { code: 'B4_SIM_BODY_TOO_LARGE', message: `request body too large; at most ${MAX_CONTROL_BODY_BYTES} bytes are accepted` } }),
  headers: [],
};
