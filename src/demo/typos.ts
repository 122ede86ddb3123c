import { ascii, NICKNAMES } from './demo-people.js'
import type { Random } from './random.js'

/** Realistic ways a value gets mistyped or reformatted between systems. */
export function typo(random: Random, text: string): string {
  if (text.length < 3) return text
  const i = random.int(1, text.length - 2)
  switch (random.int(0, 3)) {
    case 0: // swap two neighbours
      return text.slice(0, i) + text[i + 1] + text[i] + text.slice(i + 2)
    case 1: // drop one
      return text.slice(0, i) + text.slice(i + 1)
    case 2: // double one
      return text.slice(0, i) + text[i] + text.slice(i)
    default: // a neighbouring key
      return text.slice(0, i) + neighbourKey(random, text[i] as string) + text.slice(i + 1)
  }
}

const KEYBOARD_NEIGHBOURS: Record<string, string> = {
  a: 'sq',
  e: 'wr',
  i: 'uo',
  o: 'ip',
  n: 'bm',
  r: 'et',
  s: 'ad',
  t: 'ry',
  l: 'k',
  m: 'n',
}

function neighbourKey(random: Random, ch: string): string {
  const options = KEYBOARD_NEIGHBOURS[ch.toLowerCase()]
  return options ? random.pick([...options]) : ch
}

/** A first name as another system may hold it: nickname, initial, accents lost, a typo. */
export function varyFirstName(random: Random, name: string): string {
  const r = random.next()
  if (r < 0.25 && NICKNAMES[name]) return NICKNAMES[name] as string
  if (r < 0.35) return ascii(name)
  if (r < 0.45) return typo(random, name)
  if (r < 0.5) return name.toUpperCase()
  return name
}

export function varyLastName(random: Random, name: string): string {
  const r = random.next()
  if (r < 0.15) return ascii(name)
  if (r < 0.25) return typo(random, name)
  if (r < 0.3) return name.toLowerCase()
  return name
}

export function varyEmail(random: Random, email: string): string {
  const r = random.next()
  if (r < 0.15) return email.toUpperCase()
  if (r < 0.2) return ` ${email}`
  if (r < 0.25) return email.replace('gmail.com', 'gmial.com').replace('hotmail.com', 'hotmial.com')
  return email
}

/** The same number written the ways people write it. */
export function formatPhone(random: Random, callingCode: string, digits: string): string {
  switch (random.int(0, 4)) {
    case 0:
      return `+${callingCode}${digits}`
    case 1:
      return `+${callingCode} ${digits.replace(/(\d{2})(?=\d)/g, '$1 ').trim()}`
    case 2:
      return `00${callingCode} ${digits}`
    case 3:
      return `(+${callingCode}) ${digits.slice(0, 3)}-${digits.slice(3)}`
    default:
      return digits
  }
}
