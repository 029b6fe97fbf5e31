/**
 * Repeated denials, logged as one line per code per interval with a count. A strategy that keeps
 * quoting into a spent budget is denied many times a second with the same code; logging each
 * would bury everything else (the demo logged 366 `quote denied VENUE_RATE_LIMITED` lines in 4
 * minutes). The first denial of a code is logged at once (`count: 1`); later ones within
 * `intervalMs` are counted and reported as one line (`count: n`, `intervalMs`) when the interval
 * ends, which {@link DenialLog.flush} or the next denial notices. An interval that ends with
 * nothing counted closes the code: its next denial is logged at once again.
 *
 * Time comes from the caller (the engine clock's `nowNs`), so tests drive it with a simulated clock.
 */

/** Where a {@link DenialLog} writes: the strategy context's `log`. */
export type DenialLogSink = (msg: string, fields: Record<string, unknown>) => void;

/** Default interval of a {@link DenialLog}: 10 s. */
export const DENIAL_LOG_INTERVAL_MS = 10_000;

interface Window {
  startNs: number;
  count: number;
  last: Record<string, unknown>;
}

/** One line per denial code per interval (see the file header). */
export class DenialLog {
  private readonly open = new Map<string, Window>();
  private readonly intervalNs: number;

  /**
   * @param msg the log message of every line (`quote denied`)
   * @param intervalMs length of an interval, ms (>= 1)
   */
  constructor(
    private readonly msg: string,
    private readonly intervalMs: number = DENIAL_LOG_INTERVAL_MS,
  ) {
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) throw new RangeError(`intervalMs: expected a whole number of ms >= 1, got ${String(intervalMs)}`);
    this.intervalNs = intervalMs * 1_000_000;
  }

  /** Records one denial of `code` at `nowNs`; `fields` (detail, side, ...) of the latest go into the line. */
  record(code: string, nowNs: number, fields: Record<string, unknown>, sink: DenialLogSink): void {
    this.flush(nowNs, sink);
    const w = this.open.get(code);
    if (w === undefined) {
      sink(this.msg, { ...fields, code, count: 1 });
      this.open.set(code, { startNs: nowNs, count: 0, last: fields });
      return;
    }
    w.count++;
    w.last = fields;
  }

  /** Ends every interval that is over at `nowNs`: one line per code that counted denials in it. */
  flush(nowNs: number, sink: DenialLogSink): void {
    for (const [code, w] of this.open) {
      if (nowNs - w.startNs < this.intervalNs) continue;
      if (w.count === 0) {
        this.open.delete(code);
        continue;
      }
      sink(this.msg, { ...w.last, code, count: w.count, intervalMs: this.intervalMs });
      w.startNs = nowNs;
      w.count = 0;
    }
  }

  /** Reports what is counted now, interval over or not (on stop). */
  drain(sink: DenialLogSink): void {
    for (const [code, w] of this.open) if (w.count > 0) sink(this.msg, { ...w.last, code, count: w.count, intervalMs: this.intervalMs });
    this.open.clear();
  }
}
