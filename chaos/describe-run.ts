import type { Scenario, TimelineItem } from './scenario.js';
import { formatDuration } from './progress.js';

/**
 * What a run actually ran, in words, generated from the validated scenario (after the `ci:` block
 * replaced its fields) rather than copied from the file's `description:` (which describes the
 * full scenario: its CI variant runs a shorter timeline, so copying it listed steps the CI variant
 * never runs).
 */

const secs = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`);

function when(a: TimelineItem): string {
  const at = typeof a.at === 'number' ? `at ${secs(a.at)}` : `at a random time in ${secs(a.at.random[0])}–${secs(a.at.random[1])}`;
  if (a.count <= 1) return at;
  if (typeof a.at === 'number') return `${a.count}× ${at}, every ${secs(a.every ?? 0)}${a.jitter > 0 ? ` (+ up to ${secs(a.jitter)} jitter)` : ''}`;
  return `${a.count}× ${at} (each drawn anew)`;
}

function venue(v: string | { random: string[] }): string {
  if (typeof v !== 'string') return `one of ${v.random.join('/')}`;
  return v === 'random' ? 'a random venue' : v;
}

const scopeText = (s: string): string => (s === 'all' ? '' : ` (${s} only)`);

/** One timeline item in words: `at 2 s: sim-a crisis "covid" for 14 s`. */
export function describeItem(a: TimelineItem): string {
  const w = when(a);
  switch (a.do) {
    case 'profile':
      return `${w}: ${venue(a.venue)} network profile ${a.profile}${scopeText(a.scope)}`;
    case 'outage':
      return `${w}: ${venue(a.venue)} outage ${a.mode}${scopeText(a.scope)}${a.for === undefined ? ' until healed' : ` for ${secs(a.for)}`}`;
    case 'outage-end':
      return `${w}: ${venue(a.venue)} outage healed${scopeText(a.scope)}`;
    case 'kill-actor':
      return `${w}: crash of actor ${typeof a.target === 'string' ? a.target : `one of ${a.target.random.join('/')}`} (its supervisor restarts it)`;
    case 'kill-engine':
      return `${w}: SIGKILL of the engine process, restarted ${secs(a.restartAfter)} later`;
    case 'partition-owner':
      return `${w}: the lease owner cut from NATS (not from the venues) for ${secs(a.for)}`;
    case 'crisis':
      return `${w}: ${venue(a.venue)} market crisis "${a.scenario}" for ${secs(a.for)}`;
    case 'rate-limit-storm': {
      const lim = [a.ordersPer10s === undefined ? '' : `${a.ordersPer10s} orders/10 s`, a.weightPerMinute === undefined ? '' : `weight ${a.weightPerMinute}/min`, a.banAfter429 === undefined ? '' : `ban after ${a.banAfter429} × 429`].filter((x) => x !== '');
      return `${w}: ${venue(a.venue)} rate-limit storm${lim.length ? ` (${lim.join(', ')})` : ''} for ${secs(a.for)}`;
    }
    case 'clock-skew':
      return `${w}: ${venue(a.venue)} clock skewed ${a.skewMs} ms${scopeText(a.scope)}${a.for === undefined ? '' : ` for ${secs(a.for)}`}`;
    case 'feed-gap':
      return `${w}: ${venue(a.venue)} market-data feed gap for ${secs(a.for)}`;
  }
}

/**
 * The run's description: variant, length, venues, strategies, then every timeline step as run,
 * then what follows the timeline (final heal, tail, settle, ledger check).
 */
export function describeRun(s: Scenario, opts: { seed?: number; speed?: number } = {}): string {
  const speed = opts.speed ?? 1;
  const head = `${s.ci ? 'CI variant' : 'Full run'} of ${s.name}: ${formatDuration(s.duration)} of timeline${speed === 1 ? '' : ` at speed ${speed} (${formatDuration(s.duration / speed)} of wall time)`}, seed ${opts.seed ?? s.seed}, on ${s.venues.count} simulated venue${s.venues.count === 1 ? '' : 's'} (network profile ${s.venues.profile}).`;
  const strategies = `Strategies: ${s.strategies.map((x) => `${x.id} (${x.kind} on ${x.instruments.join(', ')})`).join('; ')}.`;
  const steps = s.timeline.length === 0 ? 'No faults: the timeline is empty.' : `Faults, in timeline order: ${s.timeline.map((a, i) => `(${i + 1}) ${describeItem(a)}`).join('; ')}.`;
  const tail = `Then every fault is healed at ${secs(s.duration)}, the engine trades for ${secs(s.tail)} more, settles (strategies stopped, open orders canceled), and the journal is checked against the venues' ledgers.`;
  return [head, strategies, steps, tail].join(' ');
}
