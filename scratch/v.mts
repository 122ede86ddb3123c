import { DuckDBInstance } from '@duckdb/node-api'
import { validateMeasureSql } from '/work/main/src/pipeline/measures/validate-measure-sql.ts'

const duck = await DuckDBInstance.create(':memory:')
const c = await duck.connect()
const e = new Set(['orders'])
for (const q of [
  `select (select count(*) from (with "/etc/passwd" as (select 1) select * from "/etc/passwd")) + (select count(*) from '/etc/passwd') as value`,
  `with "/etc/passwd" as (select 1) select count(*) as value from '/etc/passwd'`,
  `with big as (select * from orders) select count(*) as value from big`,
  `select count(*) as value from main.orders`,
  `with a as (select 1), b as (select * from a) select count(*) as value from b`,
  `select count(*) as value from orders o where exists (with z as (select 1) select * from z)`,
]) {
  try {
    await validateMeasureSql(c, 'm', q, e)
    console.log('PASS', q)
  } catch (err) {
    console.log('FAIL', (err as Error).message)
  }
}
