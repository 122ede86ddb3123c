export { applyConfig, type ConfigChange } from './apply-config.js'
export { type ConfigProblem, formatPath, problemsFromZod } from './config-problems.js'
export {
  type ConfigDocument,
  type ConfigInput,
  configJsonSchema,
  configSchema,
  dataSourceSchema,
  instanceIdSchema,
  nameSchema,
} from './config-schema.js'
export { configToYaml, exportConfig } from './export-config.js'
export { formatProblem, loadConfigFile, parseConfig } from './load-config.js'
