import type { Command } from 'commander';
import { parseOptions, z } from '../../common/validate.js';
import { connectionOptions, formatTable, parseClientOptions, withClient } from '../../daemon/client.js';

interface StrategyAck {
  id: string;
  state: string;
  ok: boolean;
  reason?: string;
}

const idSchema = z.strictObject({ '<id>': z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/) });

/** Registers `bot4 strategy list | start | stop`. */
export function register(program: Command): void {
  const strategy = program.command('strategy').description("list, start and stop a running daemon's strategies (start/stop need an admin token)");

  connectionOptions(strategy.command('list').description('the strategies the daemon hosts, with their mode and lifecycle')).action(async (raw: Record<string, unknown>) => {
    const o = parseClientOptions(raw);
    const s = await withClient(o, (c) => c.request<{ strategies?: { id: string; mode: string; lifecycle: string }[] }>('status.get'));
    const rows = s.strategies ?? [];
    process.stdout.write(`${o.json ? JSON.stringify(rows) : rows.length === 0 ? '(no strategies)' : formatTable(['strategy', 'mode', 'lifecycle'], rows.map((x) => [x.id, x.mode, x.lifecycle]))}\n`);
  });

  for (const command of ['start', 'stop'] as const) {
    connectionOptions(
      strategy
        .command(command)
        .description(command === 'start' ? 'start (or resume) a hosted strategy' : 'stop (pause) a hosted strategy: it places no new orders until started again')
        .argument('<id>', 'strategy id, e.g. mm-btc (see bot4 strategy list)'),
    ).action(async (id: string, raw: Record<string, unknown>) => {
      const f = parseOptions(idSchema, { '<id>': id }, '');
      const o = parseClientOptions(raw);
      const r = await withClient(o, (c) => c.request<StrategyAck>(`strategy.${command}`, { id: f['<id>'] }));
      process.stdout.write(`${o.json ? JSON.stringify(r) : formatTable(['strategy', 'ok', 'state', 'reason'], [[r.id, r.ok ? 'yes' : 'no', r.state, r.reason]])}\n`);
      if (!r.ok) process.exitCode = 1;
    });
  }
}
