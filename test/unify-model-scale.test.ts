import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generatedPeopleSql } from '../bench/people-generator.js'
import { unifyConfigSchema } from '../src/pipeline/unify/index.js'
import { createDuckDb, literal, SqlSession, sql } from '../src/query/index.js'
import { unifyInto } from './helpers/unify-fixture.js'

/**
 * 200,000 people records whose names have few distinct values (30 first names, 900 surnames):
 * pairs that share a name outnumber the duplicates some thirty to one. A model whose EM started
 * blind took "the same name" for "the same person" here (F1 0.04–0.07); seeded by pairs that
 * agree on two things other than a name, it finds the duplicates.
 */
describe('a probabilistic rule where names tell little', () => {
  it('takes the same phone and postcode for the same person, not the same common name', async () => {
    const duck = await createDuckDb()
    const dir = mkdtempSync(join(tmpdir(), 'oi-few-names-'))
    try {
      const session = await SqlSession.open(duck)
      const input = join(dir, 'people.parquet')
      await session.run(sql`copy (${generatedPeopleSql(200_000)}) to ${literal(input)} (format parquet)`)
      const attributes = {
        first_name: 'FirstName',
        last_name: 'LastName',
        postcode: 'PostalCode',
        phone: 'Phone',
        email: 'Email',
      }
      const result = await unifyInto(duck, join(dir, 'out'), {
        config: unifyConfigSchema.parse({
          sources: { people: { attributes } },
          rules: [{ name: 'model', probabilistic: {} }],
        }),
        sources: [
          {
            name: 'people',
            files: [input],
            keyColumn: 'record_id',
            attributes,
            types: Object.fromEntries(
              ['record_id', 'person', ...Object.keys(attributes)].map((c) => [c, 'VARCHAR']),
            ),
          },
        ],
      })
      const [row] = await session.rows<{ tp: number; predicted: number; truth: number }>(sql`
        with k as (select SourceKey, CustomerId from ${literal(join(dir, 'out', 'CustomerSourceKeys', 'part-00000.parquet'))}),
          j as (select p.person, k.CustomerId from read_parquet(${literal(input)}) p join k on k.SourceKey = p.record_id::varchar)
        select (select sum(n * (n - 1) / 2) from (select count(*) n from j group by person, CustomerId))::double as tp,
          (select sum(n * (n - 1) / 2) from (select count(*) n from j group by CustomerId))::double as predicted,
          (select sum(n * (n - 1) / 2) from (select count(*) n from j group by person))::double as truth`)
      session.close()
      const precision = Number(row?.tp) / Number(row?.predicted)
      const recall = Number(row?.tp) / Number(row?.truth)
      const f1 = (2 * precision * recall) / (precision + recall)
      expect(f1, `precision ${precision.toFixed(4)}, recall ${recall.toFixed(4)}`).toBeGreaterThan(0.95)
      expect(result.models[0]?.comparisons.find((c) => c.attribute === 'Phone')?.m[0]).toBeGreaterThan(0.5)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
