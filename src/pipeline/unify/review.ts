import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { type DuckDb, literal, literalList, SqlSession, sql } from '../../query/index.js'
import type { Db } from '../../store/database.js'
import { getEntity } from '../../store/entities.js'
import { listUnifyLabels, orderedPair } from '../../store/unify.js'

/** One attribute's part in a pair's match weight. */
export interface PairComparison {
  attribute: string
  level: string
  a: string | null
  b: string | null
  bits: number
}

/** A pair of records as the model saw it: its waterfall, whether it was joined, and why not. */
export interface ReviewPair {
  sourceA: string
  keyA: string
  sourceB: string
  keyB: string
  rule: string
  probability: number
  weight: number
  priorBits: number
  threshold: number
  joined: boolean
  reason: string
  comparisons: PairComparison[]
}

/** The review files the current unification wrote beside MatchPairs (one per probabilistic rule). */
async function reviewFiles(db: Db, instanceId: string): Promise<string[]> {
  const pairs = await getEntity(db, instanceId, 'MatchPairs')
  if (!pairs || !existsSync(pairs.current.directory)) return []
  return readdirSync(pairs.current.directory)
    .filter((f) => /^review-pairs-\d+\.parquet$/.test(f))
    .map((f) => join(pairs.current.directory, f))
}

function toReviewPair(row: Record<string, unknown>): ReviewPair {
  return {
    sourceA: String(row.SourceA),
    keyA: String(row.KeyA),
    sourceB: String(row.SourceB),
    keyB: String(row.KeyB),
    rule: String(row.Rule),
    probability: Number(row.Probability),
    weight: Number(row.Weight),
    priorBits: Number(row.PriorBits),
    threshold: Number(row.Threshold),
    joined: Boolean(row.Joined),
    reason: String(row.Reason),
    comparisons: (JSON.parse(String(row.Comparisons)) as PairComparison[]).map((c) => ({
      ...c,
      a: c.a ?? null,
      b: c.b ?? null,
    })),
  }
}

/**
 * The review queue: pairs the model was least sure of — nearest its threshold on either side —
 * that nobody has labelled yet.
 */
export async function reviewQueue(
  duck: DuckDb,
  db: Db,
  instanceId: string,
  top: number,
): Promise<{ pairs: ReviewPair[]; labelled: number }> {
  const files = await reviewFiles(db, instanceId)
  const labels = await listUnifyLabels(db, instanceId)
  if (files.length === 0) return { pairs: [], labelled: labels.length }
  const done = new Set(labels.map((l) => `${l.sourceA}\u0001${l.keyA}\u0001${l.sourceB}\u0001${l.keyB}`))
  const session = await SqlSession.open(duck)
  try {
    const rows = await session.rows(
      sql`select * from read_parquet(${literalList(files)}) where Reason <> 'rejected in review'
        order by abs(ln(Probability / (1 - least(Probability, 0.999999))) - ln(Threshold / (1 - least(Threshold, 0.999999)))), SourceA, KeyA, SourceB, KeyB
        limit ${top + labels.length}`,
    )
    const pairs = rows
      .map(toReviewPair)
      .filter((p) => {
        const o = orderedPair({ source: p.sourceA, key: p.keyA }, { source: p.sourceB, key: p.keyB })
        return !done.has(`${o.sourceA}\u0001${o.keyA}\u0001${o.sourceB}\u0001${o.keyB}`)
      })
      .slice(0, top)
    return { pairs, labelled: labels.length }
  } finally {
    session.close()
  }
}

/**
 * How the model saw two records: the pair's waterfall if it was compared and came near (5 % or
 * more) or was joined; otherwise undefined (never compared, or far apart).
 */
export async function explainPair(
  duck: DuckDb,
  db: Db,
  instanceId: string,
  a: { source: string; key: string },
  b: { source: string; key: string },
): Promise<ReviewPair | undefined> {
  const files = await reviewFiles(db, instanceId)
  if (files.length === 0) return undefined
  const session = await SqlSession.open(duck)
  try {
    const rows = await session.rows(
      sql`select * from read_parquet(${literalList(files)})
        where (SourceA = ${literal(a.source)} and KeyA = ${literal(a.key)} and SourceB = ${literal(b.source)} and KeyB = ${literal(b.key)})
           or (SourceA = ${literal(b.source)} and KeyA = ${literal(b.key)} and SourceB = ${literal(a.source)} and KeyB = ${literal(a.key)})
        order by Joined desc limit 1`,
    )
    return rows[0] ? toReviewPair(rows[0]) : undefined
  } finally {
    session.close()
  }
}
