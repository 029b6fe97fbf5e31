import type { Command } from 'commander';
import { connectionOptions, formatTable, parseClientOptions, withClient } from '../../daemon/client.js';

/** Registers `bot4 venue resume <name>`. */
export function register(program: Command): void {
  const venue = program.command('venue').description("operate a running daemon's venues (needs an admin token)");
  connectionOptions(
    venue
      .command('resume')
      .description('resume a halted venue (after B4_VENUE_DIVERGED, B4_VENUE_AUTH or an operator halt): it reconnects, syncs and reconciles again')
      .argument('<name>', 'venue name, e.g. sim-a')
      .option('--accept-balances', "after B4_VENUE_DIVERGED: accept the venue's balances as they are (the difference is journaled as a balance adjustment)"),
  ).action(async (name: string, raw: Record<string, unknown>) => {
    const o = parseClientOptions(raw);
    const r = await withClient(o, (c) => c.request<{ venue: string; ok: boolean; state: string; reason?: string }>('venue.resume', { venue: name, acceptBalances: raw.acceptBalances === true }));
    process.stdout.write(`${o.json ? JSON.stringify(r) : formatTable(['venue', 'resumed', 'state', 'reason'], [[r.venue, r.ok ? 'yes' : 'no', r.state, r.reason ?? '']])}\n`);
    if (!r.ok) process.exitCode = 1;
  });
}
