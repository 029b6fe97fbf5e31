import type { Command } from 'commander';
import { parseOptions, z } from '../../common/validate.js';
import { PROFILE_NAMES } from '../../simulators/network/profiles.js';
import type { Simulator } from '../../simulators/simulator.js';

/**
 * Defaults of `bot4 sim`, shown by `--help` and documented in the README's CLI section. Without
 * `--api-key`/`--api-secret` the simulator's own demo pair (`DEMO_API_KEY`/`DEMO_API_SECRET`) is used.
 */
export const SIM_DEFAULTS = Object.freeze({
  venues: 2,
  profile: 'good',
  seed: 42,
  port: 0,
});

/** `none` (no network effects) or one of the network model's named profiles. */
const PROFILES = ['none', ...PROFILE_NAMES] as const;

// Keys are the flags themselves so that a validation message names the option the user typed.
const schema = z
  .object({
    '--venues': z.number().int().min(1).max(26),
    '--profile': z.enum(PROFILES),
    '--seed': z.number().int(),
    '--port': z.number().int().min(0).max(65535),
    '--api-key': z.string().refine((s) => /^[A-Za-z0-9_-]{1,64}$/.test(s), '1 to 64 characters of [A-Za-z0-9_-]').optional(),
    '--api-secret': z.string().min(1).max(128).optional(),
  })
  .superRefine((o, ctx) => {
    if (o['--port'] !== 0 && o['--port'] + o['--venues'] > 65535) {
      ctx.addIssue({ code: 'custom', path: ['--port'], input: o['--port'], message: `a port <= ${65535 - o['--venues']} (venues use port..port+${o['--venues']})` });
    }
    if ((o['--api-key'] === undefined) !== (o['--api-secret'] === undefined)) {
      const missing = o['--api-key'] === undefined ? '--api-key' : '--api-secret';
      const other = missing === '--api-key' ? '--api-secret' : '--api-key';
      ctx.addIssue({ code: 'custom', path: [missing], input: undefined, message: `a value when ${other} is given (they go together)` });
    }
  });

/** Validated options of `bot4 sim`. */
export interface SimCliOptions {
  venues: number;
  profile: (typeof PROFILES)[number];
  seed: number;
  port: number;
  /** undefined: the simulator's demo key pair. */
  apiKey: string | undefined;
  apiSecret: string | undefined;
}

/** Decimal integer-looking strings become numbers (so zod can say "expected an integer, got 1.5"); anything else stays a string. */
function numeric(s: string | undefined): unknown {
  return s !== undefined && /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : s;
}

/**
 * Validates the raw strings commander collected. Throws `ConfigError` (`B4_CONFIG_INVALID`, exit 2)
 * whose message names the flag, what was expected and what arrived: `--venues: expected a value <= 26, got 30`.
 */
export function parseSimOptions(raw: Record<string, string | undefined>): SimCliOptions {
  const o = parseOptions(
    schema,
    {
      '--venues': numeric(raw.venues),
      '--profile': raw.profile,
      '--seed': numeric(raw.seed),
      '--port': numeric(raw.port),
      '--api-key': raw.apiKey,
      '--api-secret': raw.apiSecret,
    },
    '',
  );
  return {
    venues: o['--venues'],
    profile: o['--profile'],
    seed: o['--seed'],
    port: o['--port'],
    apiKey: o['--api-key'],
    apiSecret: o['--api-secret'],
  };
}

/**
 * The single ready line: space-separated `key=value` pairs, one per URL, so both people and scripts
 * (`grep -o 'sim-a.rest=[^ ]*'`) can read it. Never contains the secret.
 */
export function readyLine(sim: Simulator, o: SimCliOptions, apiKey: string): string {
  const parts = ['bot4 sim ready', `seed=${o.seed}`, `profile=${o.profile}`, `apiKey=${apiKey}`, `control=${sim.controlUrl}`];
  for (const v of sim.venues) parts.push(`${v.name}.rest=${v.rest}`, `${v.name}.ws=${v.ws}`, `${v.name}.stream=${v.stream}`, `${v.name}.wsApi=${v.wsApi}`, `${v.name}.control=${v.control}`);
  return parts.join(' ');
}

/** Resolves with the first of SIGINT/SIGTERM, then stops listening for both. */
function nextStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** Starts the simulator, prints the ready line, runs until SIGINT/SIGTERM, stops cleanly. */
export async function runSim(o: SimCliOptions, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  // Listen for signals before binding, so a signal that arrives during start-up is not lost.
  const stop = nextStopSignal();
  // Loaded here, not at the top: every `bot4` command imports this module to register `sim`, and
  // the simulator (uWebSockets.js, engine, network model) is only needed when it actually runs.
  const { DEMO_API_KEY, DEMO_API_SECRET, Simulator } = await import('../../simulators/simulator.js');
  const apiKey = o.apiKey ?? DEMO_API_KEY;
  const sim = await Simulator.start({ venues: o.venues, profile: o.profile, seed: o.seed, port: o.port, apiKey, apiSecret: o.apiSecret ?? DEMO_API_SECRET });
  out.write(`${readyLine(sim, o, apiKey)}\n`);
  const signal = await stop;
  process.stderr.write(`bot4 sim: ${signal}, stopping\n`);
  await sim.stop();
}

/** Registers `bot4 sim` on the program. */
export function register(program: Command): void {
  program
    .command('sim')
    .description('run the Binance-compatible exchange simulator until SIGINT/SIGTERM')
    .option('--venues <n>', 'number of venues (sim-a, sim-b, ...), 1..26', String(SIM_DEFAULTS.venues))
    .option('--profile <name>', `network profile of every venue: ${PROFILES.join(', ')}`, SIM_DEFAULTS.profile)
    .option('--seed <n>', 'seed of prices, participants and the network model', String(SIM_DEFAULTS.seed))
    .option('--port <p>', 'first port: venue i on port+i, control on port+venues; 0 picks free ports', String(SIM_DEFAULTS.port))
    .option('--api-key <key>', "API key of the funded account (default: the simulator's demo key, see README); needs --api-secret")
    .option('--api-secret <secret>', 'API secret of that account; needs --api-key')
    .addHelpText('after', '\nPrints one line "bot4 sim ready key=value ..." with every URL, then serves until SIGINT/SIGTERM (exit 0).')
    .action(async (raw: Record<string, string | undefined>) => {
      await runSim(parseSimOptions(raw));
    });
}
