import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'

/** Debian's chromium (npm test installs it when missing); never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium'

export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true
  if (process.env.CI === 'true')
    throw new Error(
      `${CHROMIUM} is missing: CI must install Debian's chromium (npm test does: apt-get install -y chromium)`,
    )
  console.warn(`skipping browser tests: ${CHROMIUM} is missing (apt-get install -y chromium)`)
  return false
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-gpu',
    ],
  })
}
