/**
 * The HTTP side of the control API: a `/_sim` request read from uWS ({@link ControlRequest}) and
 * {@link serveControl}, which reads it (bounded body), runs the handler and writes its reply. The
 * routes themselves are in `control-api.ts`.
 */
import type uWS from 'uWebSockets.js';
import { CONTROL_413, MAX_CONTROL_BODY_BYTES, readBody, writeReply } from './http-body.js';
import type { RestReply } from './rest.js';

/** A control-API request as read from uWS (headers copied before any callback returns). */
export interface ControlRequest {
  method: string;
  path: string;
  query: string;
  body: string;
  /** `Content-Type` header ('' when absent). */
  contentType: string;
  /** `Origin` header ('' when absent: not a browser, or a same-origin GET). */
  origin: string;
  /** `Authorization` header ('' when absent). */
  authorization: string;
}

/** A control-API handler: `/_sim/...` requests on the venue port and on the control port. */
export type ControlHandler = (req: ControlRequest) => Promise<RestReply>;

/**
 * Serves one `/_sim` request with `handler`: reads the headers the control API checks, the body
 * (bounded by {@link MAX_CONTROL_BODY_BYTES}; 413 past it) and writes the reply unless aborted.
 * Shared by the venue ports and the dedicated control port.
 */
export function serveControl(res: uWS.HttpResponse, req: uWS.HttpRequest, handler: ControlHandler, onError: (e: unknown) => void): void {
  const r: ControlRequest = {
    method: req.getCaseSensitiveMethod().toUpperCase(),
    path: req.getUrl(),
    query: req.getQuery() ?? '',
    body: '',
    contentType: req.getHeader('content-type'),
    origin: req.getHeader('origin'),
    authorization: req.getHeader('authorization'),
  };
  const contentLength = req.getHeader('content-length');
  const state = { aborted: false };
  res.onAborted(() => {
    state.aborted = true;
  });
  const run = (body: string): void => {
    r.body = body;
    handler(r).then(
      (reply) => {
        if (!state.aborted) writeReply(res, reply);
      },
      (e: unknown) => {
        onError(e);
        if (!state.aborted) writeReply(res, { status: 500, body: JSON.stringify({ error: { code: 'B4_SIM_INTERNAL', message: String(e) } }), headers: [] });
      },
    );
  };
  if (r.method === 'GET' || r.method === 'HEAD') run('');
  else
    readBody(res, contentLength, MAX_CONTROL_BODY_BYTES, run, () => {
      if (!state.aborted) writeReply(res, CONTROL_413, true);
    });
}
