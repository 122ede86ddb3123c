import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { redactCredentials, scrubSecret } from './redact.js'

/** A password unlike anything else in the string, with the characters users put in them. */
const password = fc
  .string({
    minLength: 1,
    maxLength: 24,
    unit: fc.constantFrom(...'aZ9!#$%&()*+,-./:;<=>?@[]^_`{|}~\'"\\ é'.split('')),
  })
  .map((tail) => `Qx7${tail}`)

describe('credentials in connection strings', () => {
  it('are masked in every form a driver takes them', () => {
    fc.assert(
      fc.property(password, fc.constantFrom('postgres', 'postgresql', 'mysql'), (pw, scheme) => {
        const enc = encodeURIComponent(pw)
        const forms = [
          `${scheme}://alice:${enc}@db.example.com:5432/shop`,
          `${scheme}://alice:${enc}@db.example.com/shop?sslmode=require`,
          `${scheme}://alice@db.example.com/shop?password=${enc}`,
          `${scheme}://alice@db.example.com/shop?sslmode=require&password=${enc}&application_name=x`,
          `${scheme}://alice@db.example.com/shop?sslpassword=${enc}`,
          `host=db.example.com user=alice password=${enc} dbname=shop`,
          `host=db.example.com password='${pw.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}' dbname=shop`,
        ]
        for (const form of forms) {
          const shown = redactCredentials(form)
          expect(shown, form).not.toContain(enc)
          if (!form.includes("password='")) continue
          expect(shown, form).toContain('password=***')
        }
      }),
      { numRuns: 300 },
    )
  })

  it('keep everything but the secret', () => {
    expect(redactCredentials('postgres://alice:pw@db:5432/shop?sslmode=require&password=x')).toBe(
      'postgres://alice:***@db:5432/shop?sslmode=require&password=***',
    )
    expect(redactCredentials('postgres://alice@db/shop')).toBe('postgres://alice@db/shop')
  })

  it('scrub a known secret from any text, as written and URL-encoded', () => {
    fc.assert(
      fc.property(password, fc.string(), (pw, around) => {
        const text = `${around}${pw}${around}${encodeURIComponent(pw)}`
        expect(scrubSecret(text, pw)).not.toContain(pw)
      }),
    )
  })
})
