import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { type ComparisonKind, LEVELS } from '../sql/match-model-sql.js'
import type { MatchModel } from './match-model.js'

/** Beside each run's MatchPairs: the match models it used (and the previous run's). */
export const MATCH_MODEL_FILE = 'match-model.json'

const probability = z.number().min(0).max(1)
const comparisonSchema = z
  .object({
    attribute: z.string().min(1),
    kind: z.enum(Object.keys(LEVELS) as [ComparisonKind, ...ComparisonKind[]]),
    levels: z.array(z.string()),
    m: z.array(probability),
    u: z.array(probability),
    termFrequency: z.boolean(),
  })
  .refine((c) => c.m.length === LEVELS[c.kind].length && c.u.length === LEVELS[c.kind].length, {
    message: 'm and u need one probability per level of the comparison',
  })
const modelSchema = z.object({
  comparisons: z.array(comparisonSchema).min(2),
  matchShare: probability,
  threshold: z.number().min(0).max(1),
  thresholdChosen: z.enum(['user', 'expected F1']),
  expected: z.object({ precision: z.number(), recall: z.number(), matches: z.number() }),
  blocking: z.array(
    z.object({ name: z.string(), pairs: z.number(), skippedBlocks: z.number(), estimatedRecall: z.number() }),
  ),
  comparedPairs: z.number(),
  randomPairs: z.number(),
  emIterations: z.number(),
  keptFrom: z.string().optional(),
})
const fileSchema = z.object({
  rules: z.array(z.string()),
  models: z.array(modelSchema),
  previous: z.object({ runId: z.string(), models: z.record(z.string(), modelSchema) }).optional(),
})

/**
 * The match models a run saved beside its MatchPairs, by rule name; undefined when there are
 * none, or the file is not one this version can use (then models are estimated afresh, and
 * `problem` says why).
 */
export async function readSavedModels(
  directory: string,
): Promise<
  | { models: Record<string, MatchModel>; previous?: { runId: string; models: Record<string, MatchModel> } }
  | { problem: string }
  | undefined
> {
  let text: string
  try {
    text = await readFile(join(directory, MATCH_MODEL_FILE), 'utf8')
  } catch {
    return undefined
  }
  let parsed: z.infer<typeof fileSchema>
  try {
    parsed = fileSchema.parse(JSON.parse(text))
  } catch (error) {
    return {
      problem: `${join(directory, MATCH_MODEL_FILE)} is not a saved match model: ${(error as Error).message.split('\n')[0]}`,
    }
  }
  const models: Record<string, MatchModel> = {}
  for (const [i, rule] of parsed.rules.entries()) {
    const model = parsed.models[i]
    if (model) models[rule] = model as MatchModel
  }
  return {
    models,
    ...(parsed.previous
      ? {
          previous: {
            runId: parsed.previous.runId,
            models: parsed.previous.models as Record<string, MatchModel>,
          },
        }
      : {}),
  }
}
