export { DEMO_INSTANCE_ID, demoConfigYaml, prepareDemo } from './demo-setup.js'
export { DEMO_FILE_NAMES, type DemoSummary, demoFiles, generateDemoData } from './generate-demo-data.js'
