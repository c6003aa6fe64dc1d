/**
 * The logger interface every tidewatch component writes to. Silent by default: a library must not
 * print unless its user asks it to.
 *
 * @packageDocumentation
 */

/** Structured fields attached to a log line. Values must already be free of secrets. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Log levels, from the most to the least verbose. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A minimal structured logger; compatible with pino, winston and `console` through adapters. */
export interface Logger {
  /** Detail for troubleshooting, such as each HTTP exchange and each failed delivery attempt. */
  debug(message: string, fields?: LogFields): void;
  /** A notable step that went as expected. */
  info(message: string, fields?: LogFields): void;
  /** Something the caller may want to fix; the operation went on. */
  warn(message: string, fields?: LogFields): void;
  /** An operation failed. */
  error(message: string, fields?: LogFields): void;
}

const noop = (): void => {};

/** A logger that drops everything. The default wherever a logger is optional. */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Options for {@link createConsoleLogger}. */
export interface ConsoleLoggerOptions {
  /** Lowest level printed. @default 'info' */
  readonly level?: LogLevel;
  /** Where lines go. @default process.stderr */
  readonly write?: (line: string) => void;
  /** Print one JSON object per line instead of text. @default false */
  readonly json?: boolean;
}

/**
 * A logger that prints to stderr (or `write`).
 *
 * @example
 * ```ts
 * const logger = createConsoleLogger({ level: 'debug' });
 * logger.info('scanned', { image: 'ghcr.io/org/app', tags: 12 });
 * ```
 */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const emit = (level: LogLevel, message: string, fields?: LogFields): void => {
    if (ORDER[level] < min) return;
    if (options.json) {
      write(JSON.stringify({ level, time: new Date().toISOString(), msg: message, ...fields }));
    } else {
      const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
      write(`${level.toUpperCase().padEnd(5)} ${message}${extra}`);
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
