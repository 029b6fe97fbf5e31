import { pino, type Logger } from 'pino';

/**
 * The process logger: structured JSON (pino) on stderr, level from `BOT4_LOG_LEVEL`
 * (default `info`; `silent` turns it off). Components take a child logger with their name.
 */
export const logger: Logger = pino(
  { name: 'bot4', level: process.env.BOT4_LOG_LEVEL ?? 'info', base: { pid: process.pid } },
  pino.destination({ fd: 2, sync: true }),
);

export type { Logger };
