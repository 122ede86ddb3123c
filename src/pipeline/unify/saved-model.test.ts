import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { LEVELS } from '../sql/match-model-sql.js'
import type { MatchModel } from './match-model.js'
import { MATCH_MODEL_FILE, readSavedModels } from './saved-model.js'

const dir = mkdtempSync(join(tmpdir(), 'oi-saved-model-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const comparison = (attribute: string, kind: 'email' | 'lastName') => ({
  attribute,
  kind,
  levels: LEVELS[kind],
  m: LEVELS[kind].map((_, i) => (i === 0 ? 0.9 : 0.1 / (LEVELS[kind].length - 1))),
  u: LEVELS[kind].map((_, i) => (i === LEVELS[kind].length - 1 ? 0.99 : 0.01 / (LEVELS[kind].length - 1))),
  termFrequency: true,
})
const model: MatchModel = {
  comparisons: [comparison('Email', 'email'), comparison('LastName', 'lastName')],
  matchShare: 0.1,
  threshold: 0.9,
  thresholdChosen: 'expected F1',
  expected: { precision: 0.99, recall: 0.98, matches: 10 },
  blocking: [{ name: 'same Email', pairs: 10, skippedBlocks: 0, estimatedRecall: 1 }],
  comparedPairs: 10,
  randomPairs: 100,
  emIterations: 4,
}

describe('saved match models', () => {
  it('reads back what a run saved, by rule name, with the previous run’s', async () => {
    const folder = mkdtempSync(join(dir, 'ok-'))
    writeFileSync(
      join(folder, MATCH_MODEL_FILE),
      JSON.stringify({
        rules: ['people'],
        models: [model],
        previous: { runId: 'R1', models: { people: model } },
      }),
    )
    expect(await readSavedModels(folder)).toEqual({
      models: { people: model },
      previous: { runId: 'R1', models: { people: model } },
    })
    expect(await readSavedModels(join(dir, 'nowhere'))).toBeUndefined()
  })

  it('says what is wrong with any other file instead of using it', async () => {
    const broken = [
      'not json',
      '{}',
      JSON.stringify({ rules: ['people'], models: [{ ...model, comparisons: [model.comparisons[0]] }] }),
      JSON.stringify({
        rules: ['people'],
        models: [{ ...model, comparisons: [{ ...model.comparisons[0], m: [2, 0] }, model.comparisons[1]] }],
      }),
      JSON.stringify({
        rules: ['people'],
        models: [
          { ...model, comparisons: [{ ...model.comparisons[0], kind: 'shoeSize' }, model.comparisons[1]] },
        ],
      }),
    ]
    for (const text of broken) {
      const folder = mkdtempSync(join(dir, 'bad-'))
      writeFileSync(join(folder, MATCH_MODEL_FILE), text)
      const read = await readSavedModels(folder)
      expect(read && 'problem' in read ? read.problem : read).toMatch(/is not a saved match model/)
    }
  })

  it('never throws on arbitrary JSON', async () => {
    const folder = mkdtempSync(join(dir, 'fuzz-'))
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        writeFileSync(join(folder, MATCH_MODEL_FILE), JSON.stringify(value))
        const read = await readSavedModels(folder)
        expect(read === undefined || 'problem' in read || 'models' in read).toBe(true)
      }),
      { numRuns: 200 },
    )
  })
})
