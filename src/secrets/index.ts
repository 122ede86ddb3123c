export { redactCredentials, scrubSecret } from './redact.js'
export { SecretBox } from './secret-box.js'
