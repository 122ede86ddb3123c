import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { dayFirstFormat } from './day-first-dates.js'

describe('dayFirstFormat', () => {
  it('takes a column with a few damaged values for dates all the same (those become rejects)', () => {
    const values = [...Array.from({ length: 19 }, () => '251191'), '311391']
    expect(dayFirstFormat('geburtsdatum', values)).toBe('%d%m%y')
  })

  it('takes 251191 and 25111991 in a birth-date column for day-first dates', () => {
    expect(dayFirstFormat('geburt', ['251191', '030285', null, ''])).toBe('%d%m%y')
    expect(dayFirstFormat('birth_date', ['25111991', '03021985'])).toBe('%d%m%Y')
  })

  it('leaves numbers, ambiguous dates and columns not named as dates alone', () => {
    expect(dayFirstFormat('customer_no', ['251191', '030285'])).toBeUndefined()
    expect(dayFirstFormat('birthday', ['010203', '050607'])).toBeUndefined() // could be any order
    expect(dayFirstFormat('birthday', ['251191', '991231'])).toBeUndefined() // 991231 is not day first
    expect(dayFirstFormat('dob', ['1991-11-25'])).toBeUndefined()
    // Mostly not dates: a code that happens to be six digits.
    expect(dayFirstFormat('date_code', ['251191', '999999', '123456', '000000'])).toBeUndefined()
  })

  it('recognises any set of day-first dates that includes one with a day after the 12th (property)', () => {
    const date = fc.date({ min: new Date('1930-01-01'), max: new Date('2025-12-31'), noInvalidDate: true })
    const ddmmyyyy = (d: Date) =>
      `${String(d.getUTCDate()).padStart(2, '0')}${String(d.getUTCMonth() + 1).padStart(2, '0')}${d.getUTCFullYear()}`
    fc.assert(
      fc.property(fc.array(date, { minLength: 0, maxLength: 20 }), (dates) => {
        const values = [...dates.map(ddmmyyyy), '25121990']
        expect(dayFirstFormat('date_of_birth', values)).toBe('%d%m%Y')
      }),
    )
  })
})
