/** A small leveled logger writing one human-readable line per message to stderr. */
export interface Logger {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
}

const LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const
export type LogLevel = (typeof LEVELS)[number]

export function createLogger(
  level: LogLevel = (process.env.OPENINSIGHTS_LOG_LEVEL as LogLevel | undefined) ?? 'info',
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Logger {
  const threshold = LEVELS.indexOf(LEVELS.includes(level) ? level : 'info')
  const at = (name: LogLevel) => (message: string) => {
    if (LEVELS.indexOf(name) >= threshold) write(`${new Date().toISOString()} ${name.padEnd(5)} ${message}`)
  }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}
