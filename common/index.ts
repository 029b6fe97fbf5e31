export { Bot4Error, ConfigError, InvalidArgumentError } from './errors.js';
export { LiveClock, SimulatedClock, type Clock, type TimerHandle } from './clock.js';
export { SeededRandom, hashString } from './random.js';
export { parseOptions } from './validate.js';
export { logger, type Logger } from './log.js';
