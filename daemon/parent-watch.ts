import type { Clock, TimerHandle } from '../common/clock.js';

/** How often {@link watchParent} looks at the parent pid by default (ms). */
export const PARENT_WATCH_MS = 500;

/**
 * Calls `onGone(previous, current)` once when the process's parent changes: whoever started the
 * daemon (`npm start`, a shell, a test) went away and the kernel re-parented the daemon to init
 * or a subreaper. Without it, `kill <npm pid>` leaves the daemon running under PID 1, holding
 * its port and the journal lock. A signal from the parent is the normal way to stop (npm forwards
 * SIGTERM to a script that `exec`s node); this is the backstop for a parent killed with SIGKILL,
 * a shell that does not forward signals, or a terminal closed under it.
 *
 * Polls on the injected clock (LiveClock timers are unref'd: the watch never keeps the process
 * alive). `readPpid` is injectable for tests. Returns a function that stops the watch.
 */
export function watchParent(clock: Clock, onGone: (previous: number, current: number) => void, opts: { intervalMs?: number; readPpid?: () => number } = {}): () => void {
  const interval = opts.intervalMs ?? PARENT_WATCH_MS;
  const read = opts.readPpid ?? ((): number => process.ppid);
  const initial = read();
  let timer: TimerHandle | null = null;
  const tick = (): void => {
    timer = null;
    const now = read();
    if (now !== initial) {
      onGone(initial, now);
      return;
    }
    timer = clock.setTimer(interval, tick);
  };
  timer = clock.setTimer(interval, tick);
  return () => {
    if (timer !== null) clock.clearTimer(timer);
    timer = null;
  };
}
