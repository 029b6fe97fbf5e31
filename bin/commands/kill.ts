import type { Command } from 'commander';
import { ConfigError } from '../../common/errors.js';
import { connectionOptions, formatTable, parseClientOptions, withClient } from '../../daemon/client.js';

/** The kill switch state a `bot4 kill` invocation asks for; `--halt` when no flag is given. */
export function killTarget(raw: Record<string, unknown>): 'ACTIVE' | 'REDUCING' | 'HALTED' {
  const chosen = (['reduce', 'halt', 'resume'] as const).filter((k) => raw[k] === true);
  if (chosen.length > 1) throw new ConfigError('--halt', `--${chosen[0]}/--${chosen[1]}: expected at most one of --reduce, --halt, --resume, got ${chosen.length}`);
  const k = chosen[0] ?? 'halt';
  return k === 'reduce' ? 'REDUCING' : k === 'resume' ? 'ACTIVE' : 'HALTED';
}

/** Registers `bot4 kill`. */
export function register(program: Command): void {
  connectionOptions(
    program
      .command('kill')
      .description("set a running daemon's kill switch (needs an admin token); HALTED cancels every open order")
      .option('--halt', 'HALTED: deny new orders and cancel every open order (the default)')
      .option('--reduce', 'REDUCING: only orders that reduce a position pass')
      .option('--resume', 'ACTIVE: trade normally again'),
  ).action(async (raw: Record<string, unknown>) => {
    const state = killTarget(raw);
    const o = parseClientOptions(raw);
    const r = await withClient(o, (c) => c.request<{ state: string; previous: string }>('killSwitch.set', { state }));
    process.stdout.write(`${o.json ? JSON.stringify(r) : formatTable(['kill switch', 'previous'], [[r.state, r.previous]])}\n`);
  });
}
