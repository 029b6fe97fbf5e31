import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../../common/errors.js';
import { parseOptions, redacted, z } from '../../common/validate.js';
import { PROFILE_CHOICES, type ProfileChoice } from '../../simulators/faults/profiles.js';
import type { Simulator } from '../../simulators/simulator.js';
import { RATE_LIMIT_PRESET_NAMES, type RateLimitPreset } from '../../simulators/wire/rate-limit.js';

/**
 * Defaults of `bot4 sim`, shown by `--help` and documented in docs/cli.md. Without
 * `--api-key` and a secret the simulator's own demo pair (`DEMO_API_KEY`/`DEMO_API_SECRET`) is used.
 */
export const SIM_DEFAULTS = Object.freeze({
  venues: 2,
  profile: 'good',
  seed: 42,
  port: 0,
  /** Background makers/takers on every symbol (`--no-participants` turns them off). */
  participants: true,
  /** Rate-limit preset, enforced and advertised in `exchangeInfo` (`off`, `binance`, `high`). */
  rateLimits: 'binance' as RateLimitPreset,
});

/** `none` (no network effects) or one of the network model's named profiles (the one list, simulators/faults/). */
const PROFILES = PROFILE_CHOICES as [ProfileChoice, ...ProfileChoice[]];

// Keys are the flags themselves so that a validation message names the option the user typed.
const schema = z
  .object({
    '--venues': z.number().int().min(1).max(26),
    '--profile': z.enum(PROFILES),
    '--seed': z.number().int(),
    '--port': z.number().int().min(0).max(65535),
    '--api-key': z.string().refine((s) => /^[A-Za-z0-9_-]{1,64}$/.test(s), '1 to 64 characters of [A-Za-z0-9_-]').optional(),
    '--rate-limits': z.enum(RATE_LIMIT_PRESET_NAMES),
    '--no-participants': z.boolean(),
  })
  .superRefine((o, ctx) => {
    if (o['--port'] !== 0 && o['--port'] + o['--venues'] > 65535) {
      ctx.addIssue({ code: 'custom', path: ['--port'], input: o['--port'], message: `a port <= ${65535 - o['--venues']} (venues use port..port+${o['--venues']})` });
    }
  });

/** Environment variable `bot4 sim` reads the account's API secret from (instead of a flag). */
export const SIM_SECRET_ENV = 'BOT4_SIM_API_SECRET';

/**
 * The API secret and where it came from: `--api-secret-file <file>` (first line), else
 * `$BOT4_SIM_API_SECRET`, else `--api-secret` (visible to every user in the process list: allowed
 * with a warning). Two sources at once, an unreadable file or a secret of the wrong length throw
 * `ConfigError` naming the source, never showing the secret.
 */
export function resolveSimSecret(raw: Record<string, string | undefined>, env: NodeJS.ProcessEnv): { secret: string; source: string } | undefined {
  const given = [
    raw.apiSecretFile !== undefined ? '--api-secret-file' : undefined,
    raw.apiSecret !== undefined ? '--api-secret' : undefined,
  ].filter((x) => x !== undefined);
  if (given.length > 1) throw new ConfigError('--api-secret', `--api-secret: expected one source of the API secret, got ${given.join(' and ')}`);
  let secret: string | undefined;
  let source = '';
  if (raw.apiSecretFile !== undefined) {
    source = '--api-secret-file';
    try {
      secret = readFileSync(raw.apiSecretFile, 'utf8').split(/\r?\n/)[0] ?? '';
    } catch (e) {
      throw new ConfigError(source, `--api-secret-file: expected a readable file, got ${JSON.stringify(raw.apiSecretFile)} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  } else if (raw.apiSecret !== undefined) {
    source = '--api-secret';
    secret = raw.apiSecret;
  } else if (env[SIM_SECRET_ENV] !== undefined) {
    source = SIM_SECRET_ENV;
    secret = env[SIM_SECRET_ENV];
  }
  if (secret === undefined) return undefined;
  if (secret.length < 1 || secret.length > 128) throw new ConfigError(source, `${source}: expected a secret of 1 to 128 characters, got ${redacted(secret)}`);
  return { secret, source };
}

/** Validated options of `bot4 sim`. */
export interface SimCliOptions {
  venues: number;
  profile: (typeof PROFILES)[number];
  seed: number;
  port: number;
  /** undefined: the simulator's demo key pair. */
  apiKey: string | undefined;
  apiSecret: string | undefined;
  /** Where the secret came from (`--api-secret-file`, `BOT4_SIM_API_SECRET`, `--api-secret`). */
  secretSource?: string | undefined;
  /** Background participants on (default) or off (`--no-participants`). */
  participants: boolean;
  /** Rate-limit preset (`--rate-limits`). */
  rateLimits: RateLimitPreset;
}

/** Decimal integer-looking strings become numbers (so zod can say "expected an integer, got 1.5"); anything else stays a string. */
function numeric(s: string | undefined): unknown {
  return s !== undefined && /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : s;
}

/**
 * Validates the raw strings commander collected (and the secret from its file or the environment,
 * see {@link resolveSimSecret}). Throws `ConfigError` (`B4_CONFIG_INVALID`, exit 2) whose message
 * names the flag, what was expected and what arrived: `--venues: expected a value <= 26, got 30`;
 * a secret is never shown.
 */
export function parseSimOptions(rawIn: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv = process.env): SimCliOptions {
  // commander gives `participants` as a boolean (`--no-participants`), every other option as a string
  const { participants = SIM_DEFAULTS.participants, ...rest } = rawIn;
  const raw = rest as Record<string, string | undefined>;
  const o = parseOptions(
    schema,
    {
      '--venues': numeric(raw.venues),
      '--profile': raw.profile,
      '--seed': numeric(raw.seed),
      '--port': numeric(raw.port),
      '--api-key': raw.apiKey,
      '--rate-limits': raw.rateLimits ?? SIM_DEFAULTS.rateLimits,
      '--no-participants': participants,
    },
    '',
  );
  const secret = resolveSimSecret(raw, env);
  if ((o['--api-key'] === undefined) !== (secret === undefined)) {
    if (secret !== undefined) throw new ConfigError('--api-key', `--api-key: expected a value when ${secret.source} is given (they go together), got undefined`);
    throw new ConfigError('--api-secret', `--api-secret: expected a value when --api-key is given (from --api-secret-file <file> or ${SIM_SECRET_ENV}), got undefined`);
  }
  return {
    venues: o['--venues'],
    profile: o['--profile'],
    seed: o['--seed'],
    port: o['--port'],
    apiKey: o['--api-key'],
    apiSecret: secret?.secret,
    secretSource: secret?.source,
    participants: o['--no-participants'],
    rateLimits: o['--rate-limits'],
  };
}

/**
 * The single ready line: space-separated `key=value` pairs, one per URL, so both people and scripts
 * (`grep -o 'sim-a.rest=[^ ]*'`) can read it. Never contains the secret.
 */
export function readyLine(sim: Simulator, o: SimCliOptions, apiKey: string): string {
  const parts = ['bot4 sim ready', `seed=${o.seed}`, `profile=${o.profile}`, `participants=${o.participants}`, `rateLimits=${o.rateLimits}`, `apiKey=${apiKey}`, `control=${sim.controlUrl}`];
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
  if (o.secretSource === '--api-secret') {
    process.stderr.write(`bot4 sim: warning: --api-secret is visible to every user of this machine in the process list; use --api-secret-file <file> or ${SIM_SECRET_ENV}\n`);
  }
  const { DEMO_API_KEY, DEMO_API_SECRET, Simulator } = await import('../../simulators/simulator.js');
  const apiKey = o.apiKey ?? DEMO_API_KEY;
  const sim = await Simulator.start({ venues: o.venues, profile: o.profile, seed: o.seed, port: o.port, apiKey, apiSecret: o.apiSecret ?? DEMO_API_SECRET, participants: o.participants, rateLimits: o.rateLimits });
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
    .option('--api-key <key>', "API key of the funded account (default: the simulator's demo key, see docs/simulator.md); needs a secret")
    .option('--api-secret-file <file>', `file whose first line is that account's API secret (or set ${SIM_SECRET_ENV}); needs --api-key`)
    .option('--no-participants', 'no background makers/takers: the books hold only your orders (throughput runs)')
    .option('--rate-limits <preset>', `rate limits enforced and advertised in exchangeInfo: ${RATE_LIMIT_PRESET_NAMES.join(', ')} (high: 6M weight/min, 1M orders/10 s)`, SIM_DEFAULTS.rateLimits)
    .option('--api-secret <secret>', `the secret on the command line: deprecated, every user sees it in the process list (warns); use --api-secret-file or ${SIM_SECRET_ENV}`)
    .addHelpText('after', '\nPrints one line "bot4 sim ready key=value ..." with every URL, then serves until SIGINT/SIGTERM (exit 0).')
    .action(async (raw: Record<string, string | boolean | undefined>) => {
      await runSim(parseSimOptions(raw));
    });
}
