/** Structured logging: one JSON object a line, so the daemon's logs can be parsed. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where a formatted line goes; defaults to stderr. */
  write?: (line: string) => void;
  format?: 'json' | 'text';
  fields?: LogFields;
  /** Injected clock, for tests. */
  now?: () => Date;
}

/** Creates a logger that writes structured lines at or above `level`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const min = LEVELS[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const base = options.fields ?? {};
  const format = options.format ?? 'json';
  const emit = (level: LogLevel, msg: string, fields: LogFields = {}): void => {
    if (LEVELS[level] < min) return;
    const record = { time: now().toISOString(), level, msg, ...base, ...serializeFields(fields) };
    write(format === 'json' ? `${JSON.stringify(record)}\n` : formatText(record));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

function serializeFields(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? { name: value.name, message: value.message } : value;
  }
  return out;
}

function formatText(record: LogFields): string {
  const { time, level, msg, ...rest } = record;
  const extra = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${String(time)} ${String(level).toUpperCase()} ${String(msg)}${extra ? ` ${extra}` : ''}\n`;
}
