import type { Command } from 'commander';
import { connectionOptions, formatTable, parseClientOptions, withClient } from '../../daemon/client.js';

interface Status {
  state: string;
  killSwitch: string;
  venuesSynced?: boolean;
  openOrders?: number;
  uptimeSec?: number;
  journal?: { dir: string; fsync: string; nextSequence: number };
  venues?: Record<string, { state: string; submitted: number; accepted: number; rejected: number; unknown: number; breaker: string }>;
  strategies?: { id: string; mode: string; lifecycle: string }[];
}

/** Renders a `status.get` result for people. */
export function renderStatus(s: Status): string {
  const head = formatTable(['state', 'kill switch', 'venues synced', 'open orders', 'uptime (s)', 'journal'], [[s.state, s.killSwitch, s.venuesSynced, s.openOrders, s.uptimeSec, s.journal === undefined ? undefined : `${s.journal.dir} (fsync ${s.journal.fsync}, next seq ${s.journal.nextSequence})`]]);
  const venues = formatTable(['venue', 'state', 'breaker', 'submitted', 'accepted', 'rejected', 'unknown'], Object.entries(s.venues ?? {}).map(([n, v]) => [n, v.state, v.breaker, v.submitted, v.accepted, v.rejected, v.unknown]));
  const strategies = formatTable(['strategy', 'mode', 'lifecycle'], (s.strategies ?? []).map((x) => [x.id, x.mode, x.lifecycle]));
  return `${head}\n\n${venues}\n\n${strategies}`;
}

/** Registers `bot4 status`. */
export function register(program: Command): void {
  connectionOptions(program.command('status').description("show a running daemon's state, kill switch, venues and strategies")).action(async (raw: Record<string, unknown>) => {
    const o = parseClientOptions(raw);
    const s = await withClient(o, (c) => c.request<Status>('status.get'));
    process.stdout.write(`${o.json ? JSON.stringify(s) : renderStatus(s)}\n`);
  });
}
