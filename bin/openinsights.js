#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so `npm install` needs no build step.
// On a Node older than openinsights supports (run as `node bin/openinsights.js` with the
// machine's Node 20, say), it starts itself again on the Node 24 that `npm install` brought.
import { spawn } from 'node:child_process'
import { bundledNode, isSupported, unsupportedMessage } from '../scripts/node-runtime.js'

if (isSupported(process.version)) {
  const { register } = await import('tsx/esm/api')
  register()
  await import('../src/cli/main.ts')
} else {
  const node = bundledNode()
  if (!node) {
    process.stderr.write(`openinsights: ${unsupportedMessage(process.version)}\n`)
    process.exit(1)
  }
  const child = spawn(node, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' })
  // A Ctrl+C reaches both (same process group); a signal sent to this process alone is passed on.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal)
      process.kill(process.pid, signal)
    } else process.exit(code ?? 1)
  })
}
