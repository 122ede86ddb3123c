import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { computeUnification } from '../../src/pipeline/unify/compute-unification.js'
import type { DuckDb } from '../../src/query/index.js'

type UnifyInput = Parameters<typeof computeUnification>[1]

/**
 * A unification for a test: its three outputs under `outDir/<entity>` (made as needed), with no
 * previous run unless one is given.
 */
export function unifyInto(
  duck: DuckDb,
  outDir: string,
  input: Omit<UnifyInput, 'outDir' | 'previousKeys'> & { previousKeys?: string[] },
) {
  return computeUnification(duck, {
    ...input,
    previousKeys: input.previousKeys,
    outDir: (entity) => {
      const out = join(outDir, entity)
      mkdirSync(out, { recursive: true })
      return out
    },
  })
}
