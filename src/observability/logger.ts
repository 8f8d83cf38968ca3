/** The operational log (JSON lines on stderr, via pino). Never given secrets. */
import { pino, type Logger } from 'pino';
import type { LoggingConfig } from './config.js';

export type { Logger };

export function createLogger(level: LoggingConfig['level'] = 'info'): Logger {
  return pino({ level, base: { name: 'barbican' }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 2, sync: true }));
}
