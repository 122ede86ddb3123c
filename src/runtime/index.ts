export { createLogger, type Logger, type LogLevel } from './logger.js'
export { openRuntime, type Role, type Runtime, type RuntimeOptions } from './runtime.js'
export { locateHome, readSettings, type Settings } from './settings.js'
