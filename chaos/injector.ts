import { NO_PROFILE, type ProfileChoice } from '../simulators/faults/profiles.js';
import { ChaosInjectError } from './errors.js';
import type { PlannedFault } from './plan.js';

/** Rate limits a heal restores (the scenario's, over Binance's defaults). */
export type Limits = Record<string, number>;

/**
 * Applies planned faults to a running simulator through its control API (`<controlUrl>/venues/<v>/…`),
 * exactly as an operator would with curl. Engine-side faults (`kill-actor`, `kill-engine`) are not
 * network faults: the runner performs them.
 */
export class Injector {
  /** Venues a `profile` fault was applied to (their profile differs from the base until healed). */
  private readonly profiled = new Set<string>();

  constructor(
    private readonly controlUrl: string,
    private readonly baseProfile: ProfileChoice,
    private readonly baseLimits: Limits,
  ) {}

  private async call(method: string, route: string, body?: unknown): Promise<unknown> {
    const url = `${this.controlUrl}${route}`;
    let res: Response;
    try {
      res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(10_000) });
    } catch (e) {
      throw new ChaosInjectError(`${method} ${url}: ${e instanceof Error ? e.message : String(e)}`, { url }, { cause: e });
    }
    const text = await res.text();
    if (res.status !== 200) throw new ChaosInjectError(`${method} ${url}: HTTP ${res.status}: ${text.slice(0, 300)}`, { url, status: res.status });
    return JSON.parse(text) as unknown;
  }

  /** Performs one network-side fault (or its end). Returns false for engine-side kinds. */
  async apply(f: PlannedFault): Promise<boolean> {
    const v = encodeURIComponent(f.venue ?? '');
    const scope = f.scope === 'all' ? undefined : f.scope;
    switch (f.kind) {
      case 'profile':
        await this.call('POST', `/venues/${v}/profile`, { profile: f.profile, ...(scope === undefined ? {} : { scope }) });
        this.profiled.add(f.venue ?? '');
        return true;
      case 'outage':
        await this.call('POST', `/venues/${v}/outage`, { mode: f.mode, ...(scope === undefined ? {} : { scope }), ...f.params });
        return true;
      case 'outage-end':
        await this.call('DELETE', `/venues/${v}/outage${scope === undefined ? '' : `?scope=${scope}`}`);
        return true;
      case 'crisis':
        await this.call('POST', `/venues/${v}/crisis`, { scenario: f.scenario, durationMs: f.durationMs });
        return true;
      case 'crisis-end':
        // A crisis can take its venue down (FTX: "gone" = refuse): bring it back.
        await this.call('DELETE', `/venues/${v}/outage`);
        return true;
      case 'limits':
        await this.call('POST', `/venues/${v}/limits`, f.params);
        return true;
      case 'limits-end':
        await this.call('POST', `/venues/${v}/limits`, this.baseLimits);
        return true;
      default:
        return false;
    }
  }

  /**
   * Ends every fault on every venue: outages cleared, the scenario's profile and rate limits back.
   * The base profile is set again on every venue unless it is `none` and the venue never had a
   * `profile` fault (so a run without profile faults logs no extra network event).
   */
  async healAll(venues: readonly string[]): Promise<void> {
    for (const name of venues) {
      const v = encodeURIComponent(name);
      await this.call('DELETE', `/venues/${v}/outage`);
      if (this.baseProfile !== NO_PROFILE || this.profiled.has(name)) await this.call('POST', `/venues/${v}/profile`, { profile: this.baseProfile });
      await this.call('POST', `/venues/${v}/limits`, this.baseLimits);
    }
  }
}
