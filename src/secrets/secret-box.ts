import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../errors.js'

/**
 * AES-256-GCM with one key per home: `OPENINSIGHTS_SECRET_KEY` (base64, 32 bytes) or
 * `$OPENINSIGHTS_HOME/secret.key`, created on first use with mode 600. Every process of an
 * installation must share it (server mode: set the variable everywhere).
 */
export class SecretBox {
  readonly #key: Buffer
  constructor(key: Buffer) {
    if (key.length !== 32)
      throw new AppError('InvalidSecretKey', 'the secret key must be 32 bytes (base64)', {
        target: 'OPENINSIGHTS_SECRET_KEY',
      })
    this.#key = key
  }

  static forHome(home: string, env: NodeJS.ProcessEnv = process.env): SecretBox {
    if (env.OPENINSIGHTS_SECRET_KEY) return new SecretBox(Buffer.from(env.OPENINSIGHTS_SECRET_KEY, 'base64'))
    const file = join(home, 'secret.key')
    if (!existsSync(file)) {
      writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 })
      chmodSync(file, 0o600)
    }
    return new SecretBox(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'))
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return `v1.${iv.toString('base64')}.${cipher.getAuthTag().toString('base64')}.${sealed.toString('base64')}`
  }

  open(ciphertext: string): string {
    const [version, iv, tag, data] = ciphertext.split('.')
    if (version !== 'v1' || !iv || !tag || !data) throw new AppError('InvalidSecret', 'not a sealed secret')
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64'))
      decipher.setAuthTag(Buffer.from(tag, 'base64'))
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8')
    } catch {
      throw new AppError(
        'SecretKeyMismatch',
        'a secret cannot be opened with this key: was OPENINSIGHTS_SECRET_KEY or secret.key changed?',
        { target: 'OPENINSIGHTS_SECRET_KEY' },
      )
    }
  }
}
