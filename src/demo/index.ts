export { DEMO_INSTANCE_ID, DEMO_NOTES_ENTITY, demoConfigYaml, prepareDemo } from './demo-setup.js'
export { DEMO_FILE_NAMES, type DemoSummary, demoFiles, generateDemoData } from './generate-demo-data.js'
