import { createHash } from 'node:crypto';
import { SeededRandom } from '../common/random.js';
import type { ScopeSelector } from '../simulators/faults/link.js';
import { OUTAGE_MODES, type OutageMode } from '../simulators/faults/outages.js';
import type { ProfileChoice } from '../simulators/faults/profiles.js';
import type { Scenario, TimelineItem } from './scenario.js';

/** What the runner does at one instant; every random choice is already made. */
export type FaultKind = 'profile' | 'outage' | 'outage-end' | 'kill-actor' | 'kill-engine' | 'crisis' | 'crisis-end' | 'limits' | 'limits-end' | 'partition' | 'partition-end';

/** How a heal is measured: time from it to the next order the venue accepts. */
export type RecoveryKind = 'outage' | 'storm' | 'crisis' | 'actor' | 'restart';

/** One planned fault (or the end of one). */
export interface PlannedFault {
  /** Order in the plan (ties in `atMs` keep timeline order). */
  seq: number;
  /** Time from the start of the run at speed 1 (ms). */
  atMs: number;
  /** Index of the timeline item it came from. */
  item: number;
  kind: FaultKind;
  venue?: string;
  scope?: ScopeSelector;
  mode?: OutageMode;
  /** Outage parameters (`bytesPerSec`, `skewMs`) or rate limits. */
  params?: Record<string, number>;
  profile?: ProfileChoice;
  /** Actor address (`kill-actor`). */
  target?: string;
  /** `kill-engine`: restart this long after the kill. */
  restartAfterMs?: number;
  /** `crisis`: script name and its compressed duration. */
  scenario?: string;
  durationMs?: number;
  /** Set when this event ends a fault on the order path: a recovery sample is taken from it. */
  recovery?: RecoveryKind;
}

/** Outage modes whose end is a recovery of the order path (a slow link or a feed gap never stops orders). */
const ORDER_PATH_MODES: ReadonlySet<OutageMode> = new Set(OUTAGE_MODES.filter((m) => m !== 'slow'));

function pick<T>(r: SeededRandom, xs: readonly T[]): T {
  return xs[r.int(xs.length)]!;
}

/**
 * Expands a scenario's timeline into the concrete, time-ordered fault sequence. Every random
 * choice (times drawn from `{random: [from, to]}`, venues and kill targets drawn from a set) comes
 * from a generator seeded with (scenario seed, item index), so the same seed and scenario always
 * give the same plan, and editing one item never reshuffles another's draws.
 */
export function planFaults(s: Pick<Scenario, 'seed' | 'timeline' | 'venues'>, seed: number = s.seed): PlannedFault[] {
  const venues = Array.from({ length: s.venues.count }, (_, i) => `sim-${String.fromCharCode(97 + i)}`);
  const out: Omit<PlannedFault, 'seq'>[] = [];
  s.timeline.forEach((a: TimelineItem, item) => {
    const r = new SeededRandom(`chaos:${seed}:${item}`);
    for (let k = 0; k < a.count; k++) {
      const at = typeof a.at === 'number' ? a.at + k * (a.every ?? 0) + (a.jitter > 0 ? r.int(a.jitter + 1) : 0) : a.at.random[0] + r.int(a.at.random[1] - a.at.random[0] + 1);
      const venue = 'venue' in a ? (typeof a.venue === 'string' ? (a.venue === 'random' ? pick(r, venues) : a.venue) : pick(r, a.venue.random)) : undefined;
      switch (a.do) {
        case 'profile':
          out.push({ atMs: at, item, kind: 'profile', venue: venue!, scope: a.scope, profile: a.profile });
          break;
        case 'outage': {
          const params: Record<string, number> = {};
          if (a.bytesPerSec !== undefined) params.bytesPerSec = a.bytesPerSec;
          if (a.skewMs !== undefined) params.skewMs = a.skewMs;
          out.push({ atMs: at, item, kind: 'outage', venue: venue!, scope: a.scope, mode: a.mode, params });
          if (a.for !== undefined) out.push({ atMs: at + a.for, item, kind: 'outage-end', venue: venue!, scope: a.scope, mode: a.mode, ...(ORDER_PATH_MODES.has(a.mode) && a.scope !== 'stream' ? { recovery: 'outage' as const } : {}) });
          break;
        }
        case 'outage-end':
          out.push({ atMs: at, item, kind: 'outage-end', venue: venue!, scope: a.scope, recovery: 'outage' });
          break;
        case 'kill-actor':
          out.push({ atMs: at, item, kind: 'kill-actor', target: typeof a.target === 'string' ? a.target : pick(r, a.target.random), recovery: 'actor' });
          break;
        case 'kill-engine':
          out.push({ atMs: at, item, kind: 'kill-engine', restartAfterMs: a.restartAfter, recovery: 'restart' });
          break;
        case 'partition-owner':
          out.push({ atMs: at, item, kind: 'partition', durationMs: a.for });
          out.push({ atMs: at + a.for, item, kind: 'partition-end' });
          break;
        case 'crisis':
          out.push({ atMs: at, item, kind: 'crisis', venue: venue!, scenario: a.scenario, durationMs: a.for });
          out.push({ atMs: at + a.for, item, kind: 'crisis-end', venue: venue!, recovery: 'crisis' });
          break;
        case 'rate-limit-storm': {
          const params: Record<string, number> = { banMs: a.banMs };
          for (const key of ['ordersPer10s', 'weightPerMinute', 'banAfter429'] as const) if (a[key] !== undefined) params[key] = a[key];
          out.push({ atMs: at, item, kind: 'limits', venue: venue!, params });
          out.push({ atMs: at + a.for, item, kind: 'limits-end', venue: venue!, recovery: 'storm' });
          break;
        }
        case 'clock-skew':
          out.push({ atMs: at, item, kind: 'outage', venue: venue!, scope: a.scope, mode: 'clock-skew', params: { skewMs: a.skewMs } });
          if (a.for !== undefined) out.push({ atMs: at + a.for, item, kind: 'outage-end', venue: venue!, scope: a.scope, mode: 'clock-skew', recovery: 'outage' });
          break;
        case 'feed-gap':
          out.push({ atMs: at, item, kind: 'outage', venue: venue!, scope: 'stream', mode: 'ws-drop', params: {} });
          out.push({ atMs: at + a.for, item, kind: 'outage-end', venue: venue!, scope: 'stream', mode: 'ws-drop' });
          break;
      }
    }
  });
  // Stable sort: equal times keep the timeline's order (a fault's end before a later item's start).
  return out
    .map((f, i) => ({ f, i }))
    .sort((x, y) => x.f.atMs - y.f.atMs || x.i - y.i)
    .map(({ f }, seq) => ({ seq, ...f }));
}

/** SHA-256 (hex) of the planned fault sequence as canonical JSON: equal plans, equal hashes. */
export function planHash(plan: readonly PlannedFault[]): string {
  const h = createHash('sha256');
  for (const f of plan) h.update(`${canonical(f)}\n`);
  return h.digest('hex');
}

/** JSON with object keys sorted, so the hash does not depend on property order. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
