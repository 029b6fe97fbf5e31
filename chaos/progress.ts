/**
 * The progress of a chaos run as a person follows it: one line with the phase, the elapsed time,
 * the time left (ETA), the orders so far and the faults applied. On a terminal the line is
 * rewritten in place (`\r`, erase line) as the run goes; elsewhere (a CI log, a pipe) one line is
 * written per phase, so a log shows when each phase began without a line every half second.
 */

/** Phases of a run, in order. */
export const RUN_PHASES = ['starting', 'faults', 'healing', 'tail', 'settling', 'checking', 'done'] as const;
/** One phase of a run. */
export type RunPhase = (typeof RUN_PHASES)[number];

/** What the progress line shows. */
export interface ProgressState {
  scenario: string;
  phase: RunPhase;
  /** Wall time since the run started (ms). */
  elapsedMs: number;
  /** Wall time the run is still planned to take (ms), undefined when it cannot be told (start-up, settle). */
  etaMs: number | undefined;
  /** Orders in the engine's journal so far. */
  orders: number;
  open: number;
  unknown: number;
  faultsDone: number;
  faultsPlanned: number;
  /** `sim-a:running/closed sim-b:...`; empty before the first engine sample. */
  venues: string;
  rssMb: number;
}

/** `12.3s`, `2m05s`, `1h02m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The progress line: `[chaos soak] faults 1m05s ETA 8m55s · orders 1234 (open 3, unknown 0) · faults 4/12 · sim-a:running/closed · rss 142MB`. */
export function formatProgress(p: ProgressState): string {
  const eta = p.etaMs === undefined ? (p.phase === 'done' ? '' : ' ETA ?') : ` ETA ${formatDuration(p.etaMs)}`;
  const parts = [`[chaos ${p.scenario}] ${p.phase} ${formatDuration(p.elapsedMs)}${eta}`, `orders ${p.orders} (open ${p.open}, unknown ${p.unknown})`, `faults ${p.faultsDone}/${p.faultsPlanned}`];
  if (p.venues !== '') parts.push(p.venues);
  if (p.rssMb > 0) parts.push(`rss ${p.rssMb}MB`);
  return parts.join(' · ');
}

/** Where a {@link ProgressWriter} writes (a `process.stderr`). */
export interface ProgressStream {
  write(s: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/**
 * Writes progress lines to a stream: on a TTY each update rewrites the line in place (cut to the
 * terminal width); otherwise a line is written only when the phase changes, and the final line
 * always.
 */
export class ProgressWriter {
  private lastPhase: RunPhase | undefined;
  private readonly tty: boolean;

  constructor(private readonly out: ProgressStream) {
    this.tty = out.isTTY === true;
  }

  /** A progress update (`final`: the run's last line, ends the in-place line on a TTY). */
  update(line: string, final: boolean, state?: ProgressState): void {
    if (this.tty) {
      const width = Math.max(20, (this.out.columns ?? 200) - 1);
      this.out.write(`\r\x1b[2K${line.slice(0, width)}${final ? '\n' : ''}`);
      return;
    }
    if (final || state === undefined || state.phase !== this.lastPhase) {
      this.lastPhase = state?.phase;
      this.out.write(`${line}\n`);
    }
  }
}
