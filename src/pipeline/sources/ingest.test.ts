import { readFileSync, writeFileSync } from 'node:fs'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dataSource, ingestInto, readRejects, scratch } from '../../../test/helpers/ingest-fixtures.js'
import { AppError } from '../../errors.js'
import { type DuckDb, literal, type Sql, SqlSession, sql } from '../../query/index.js'
import type { DataSourceKind } from '../../store/data-sources.js'
import { openDuckDb } from '../duckdb-engine.js'

let duck: DuckDb
let dir: ReturnType<typeof scratch>
beforeAll(async () => {
  duck = await openDuckDb({ tempDir: scratch().dir, memoryLimit: '1GB' })
})
afterAll(() => duck.closeSync())
beforeEach(() => {
  dir = scratch()
})
afterEach(() => dir.dispose())

async function duckRun(statement: Sql): Promise<void> {
  const session = await SqlSession.open(duck)
  try {
    await session.run(statement)
  } finally {
    session.close()
  }
}

const PEOPLE = [
  { id: 1, name: 'Zoë Ångström', city: 'Aarhus', amount: 10.5 },
  { id: 2, name: 'Bob "the builder", Jr.', city: 'København', amount: 0 },
  { id: 3, name: 'Jürgen Müller', city: 'Köln', amount: -3.25 },
]

const writers: Record<
  Exclude<DataSourceKind, 'postgres'>,
  (path: (n: string) => string) => Promise<Record<string, unknown>>
> = {
  csv: async (path) => {
    const text = `id,name,city,amount\n${PEOPLE.map((p) => `${p.id},"${p.name.replaceAll('"', '""')}",${p.city},${p.amount}`).join('\n')}\n`
    writeFileSync(path('people.csv'), text)
    return { path: path('people.csv') }
  },
  json: async (path) => {
    writeFileSync(path('people.json'), JSON.stringify(PEOPLE))
    return { path: path('people.json') }
  },
  ndjson: async (path) => {
    writeFileSync(path('people.ndjson'), `${PEOPLE.map((p) => JSON.stringify(p)).join('\n')}\n`)
    return { path: path('people.ndjson') }
  },
  parquet: async (path) => {
    writeFileSync(path('people.json'), JSON.stringify(PEOPLE))
    await duckRun(
      sql`copy (select * from read_json(${literal(path('people.json'))})) to ${literal(path('people.parquet'))} (format parquet)`,
    )
    return { path: path('people.parquet') }
  },
}

describe.each(Object.entries(writers))('every reader: %s', (kind, write) => {
  it('publishes the same rows, schema and counts', async () => {
    const options = await write(dir.path)
    const result = await ingestInto(duck, dataSource(kind as DataSourceKind, options), dir.dir)
    expect(result.rowCount).toBe(3)
    expect(result.rejectedRowCount).toBe(0)
    expect(result.rejectsFile).toBeNull()
    expect(result.schema.map((c) => c.name)).toEqual(['id', 'name', 'city', 'amount'])
    expect(result.partitions).toHaveLength(1)
    expect(result.partitions[0]).toMatchObject({
      name: 'part-00000',
      file: 'part-00000.parquet',
      rowCount: 3,
    })
    const rows = result.rows.map((r) => ({ ...r, id: Number(r.id), amount: Number(r.amount) }))
    expect(rows).toEqual(PEOPLE)
  })

  it('fails with SourceNotFound when the file is missing', async () => {
    const options = await write(dir.path)
    const missing = { ...options, path: dir.path('nope.data') }
    await expect(
      ingestInto(duck, dataSource(kind as DataSourceKind, missing), dir.dir),
    ).rejects.toMatchObject({
      code: 'SourceNotFound',
    })
  })

  it('fails with ColumnNotFound, listing the columns, when the primary key is not a column', async () => {
    const options = await write(dir.path)
    const error = await ingestInto(
      duck,
      dataSource(kind as DataSourceKind, options, { primaryKey: 'customer_id' }),
      dir.dir,
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AppError)
    expect(error).toMatchObject({ code: 'ColumnNotFound', target: 'dataSources.people.primaryKey' })
    expect((error as AppError).message).toContain("its columns are 'id', 'name', 'city', 'amount'")
  })

  it('rejects rows without a key and repeated keys, keeping the first occurrence', async () => {
    const rows = [
      ...PEOPLE,
      { id: 2, name: 'Second Bob', city: 'Aalborg', amount: 1 },
      { id: null, name: 'Nobody', city: 'X', amount: 0 },
    ]
    writeFileSync(dir.path('rows.json'), JSON.stringify(rows))
    const options = await write(dir.path)
    // Rewrite the fixture with the extra rows in this kind's format.
    if (kind === 'csv') {
      writeFileSync(
        options.path as string,
        `${readFileSync(options.path as string, 'utf8')}2,Second Bob,Aalborg,1\n,Nobody,X,0\n`,
      )
    } else if (kind === 'json') {
      writeFileSync(options.path as string, JSON.stringify(rows))
    } else if (kind === 'ndjson') {
      writeFileSync(options.path as string, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`)
    } else {
      await duckRun(
        sql`copy (select * from read_json(${literal(dir.path('rows.json'))})) to ${literal(options.path as string)} (format parquet)`,
      )
    }
    const result = await ingestInto(
      duck,
      dataSource(kind as DataSourceKind, options, { rejectRatio: 0.5 }),
      dir.dir,
    )
    expect(result.rowCount).toBe(3)
    expect(result.rejectedRowCount).toBe(2)
    expect(result.rows.find((r) => Number(r.id) === 2)?.name).toBe('Bob "the builder", Jr.')
    const reasons = (await readRejects(duck, result.rejectsFile as string)).map((r) => r.reason)
    expect(reasons).toContain('DUPLICATE KEY: record 4 repeats key 2 first seen at record 2')
    expect(reasons).toContain('MISSING KEY: record 5 has no value in primary key column id')
  })
})

describe('csv', () => {
  it('reads Latin-1 when told to, and a custom delimiter and quote', async () => {
    writeFileSync(dir.path('latin.csv'), Buffer.from("id;name\n1;'J\xf8rgen; M\xfcller'\n2;Ole\n", 'latin1'))
    const result = await ingestInto(
      duck,
      dataSource('csv', { path: dir.path('latin.csv'), encoding: 'latin-1', delimiter: ';', quote: "'" }),
      dir.dir,
    )
    expect(result.rows.map((r) => r.name)).toEqual(['Jørgen; Müller', 'Ole'])
  })

  it('fails a Latin-1 file read as UTF-8 when told to, saying which encoding to set', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => `${i},J\xf8rgen`).join('\n')
    writeFileSync(dir.path('latin.csv'), Buffer.from(`id,name\n${lines}\n`, 'latin1'))
    const error = (await ingestInto(
      duck,
      dataSource('csv', { path: dir.path('latin.csv'), encoding: 'utf-8' }),
      dir.dir,
    ).catch((e: unknown) => e)) as AppError
    expect(error.code).toBe('RejectRatioExceeded')
    expect(error.message).toContain('20 of 20 records (100.0%) were rejected')
    expect(error.message).toContain('INVALID ENCODING (first at line 2)')
    expect(error.message).toContain("set the source's encoding to latin-1")
    const rejects = await readRejects(duck, (error.details as { rejectsFile: string }).rejectsFile)
    expect(rejects[0]).toMatchObject({ line: 2, reason: expect.stringMatching(/^INVALID ENCODING/) })
  })

  it('quarantines malformed lines with their line numbers and publishes the rest', async () => {
    const good = Array.from(
      { length: 98 },
      (_, i) => `${i + 1},name ${i + 1},2024-01-${String((i % 28) + 1).padStart(2, '0')}`,
    )
    good.splice(10, 0, '999,too,many,columns,here')
    good.splice(50, 0, '1000,bad date,2024-13-45')
    writeFileSync(dir.path('people.csv'), `id,name,born\n${good.join('\n')}\n`)
    const result = await ingestInto(
      duck,
      dataSource('csv', { path: dir.path('people.csv') }, { columnTypes: { born: 'DATE' } }),
      dir.dir,
    )
    expect(result.rowCount).toBe(98)
    expect(result.rejectedRowCount).toBe(2)
    expect(readFileSync(result.rejectsFile as string, 'utf8').split('\n')[0]).toBe(
      'line,column,reason,record',
    )
    const [first, second] = await readRejects(duck, result.rejectsFile as string)
    expect(first).toMatchObject({
      line: 12,
      reason: expect.stringMatching(/^TOO MANY COLUMNS/),
      record: '999,too,many,columns,here',
    })
    expect(second).toMatchObject({
      line: 52,
      column: 'born',
      reason: expect.stringMatching(/^CAST: .*2024-13-45/),
    })
    expect(result.schema.find((c) => c.name === 'born')?.type).toBe('DATE')
  })

  it('recovers from an unterminated quote at the end that defeats the sniffer', async () => {
    const good = Array.from({ length: 200 }, (_, i) => `${i + 1},name ${i + 1}`).join('\n')
    writeFileSync(dir.path('people.csv'), `id,name\n${good}\n"unterminated\n${'x,'.repeat(40)}\n`)
    const result = await ingestInto(duck, dataSource('csv', { path: dir.path('people.csv') }), dir.dir)
    expect(result.rowCount).toBe(200)
    expect(result.rejectedRowCount).toBeGreaterThanOrEqual(1)
    expect((await readRejects(duck, result.rejectsFile as string))[0]).toMatchObject({ line: 202 })
    expect(result.schema.find((c) => c.name === 'id')?.type).toBe('BIGINT')
  })

  it('fails clearly when nothing in the file looks like CSV with the given settings', async () => {
    writeFileSync(dir.path('x.csv'), '"a\n'.repeat(5) + '\u0000\u0001'.repeat(100))
    const error = (await ingestInto(duck, dataSource('csv', { path: dir.path('x.csv') }), dir.dir).catch(
      (e: unknown) => e,
    )) as AppError
    expect(error.code).toBe('SourceUnreadable')
    expect(error.message).toMatch(
      /cannot make out CSV in .*x\.csv with delimiter ",", quote .*set delimiter, quote and encoding to match/,
    )
  })

  it('says a file read as one column may not be CSV, instead of listing that column as the columns', async () => {
    writeFileSync(dir.path('note.csv'), 'this is not a CSV export\nreally not\n')
    const error = (await ingestInto(duck, dataSource('csv', { path: dir.path('note.csv') }), dir.dir).catch(
      (e: unknown) => e,
    )) as AppError
    expect(error.code).toBe('ColumnNotFound')
    expect(error.message).toContain(
      "it has one column, 'this is not a CSV export': it may not be CSV, or its delimiter is not the one read with",
    )
  })

  it('names a type override whose column is not in the file', async () => {
    writeFileSync(dir.path('p.csv'), 'id,name\n1,a\n')
    const error = await ingestInto(
      duck,
      dataSource('csv', { path: dir.path('p.csv') }, { columnTypes: { born: 'DATE' } }),
      dir.dir,
    ).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ColumnNotFound', target: 'dataSources.people.columnTypes.born' })
  })

  it('publishes an empty file with its header as an empty entity', async () => {
    writeFileSync(dir.path('empty.csv'), 'id,name\n')
    const result = await ingestInto(duck, dataSource('csv', { path: dir.path('empty.csv') }), dir.dir)
    expect(result.rowCount).toBe(0)
    expect(result.partitions).toHaveLength(1)
    expect(result.schema.map((c) => c.name)).toEqual(['id', 'name'])
  })

  it('splits large output into numbered partitions whose counts add up', async () => {
    await duckRun(
      sql`copy (select range as id, md5(range::varchar) as a, md5((range * 7)::varchar) as b from range(500000)) to ${literal(dir.path('big.csv'))} (header)`,
    )
    // DuckDB closes a file at a row-group boundary (122,880 rows) once it passes the size.
    const result = await ingestInto(duck, dataSource('csv', { path: dir.path('big.csv') }), dir.dir, {
      partitionBytes: 1_000_000,
    })
    expect(result.partitions.length).toBeGreaterThan(2)
    expect(result.partitions.map((p) => p.name)).toEqual(
      result.partitions.map((_, i) => `part-${String(i).padStart(5, '0')}`),
    )
    expect(result.partitions.reduce((n, p) => n + p.rowCount, 0)).toBe(500000)
    expect(result.rowCount).toBe(500000)
  })

  it("reports DuckDB's progress while reading, then validation", async () => {
    await duckRun(
      sql`copy (select range as id, repeat(md5(range::varchar), 3) as a from range(1200000)) to ${literal(dir.path('big.csv'))} (header)`,
    )
    const seen: { phase: string; fraction: number }[] = []
    await ingestInto(duck, dataSource('csv', { path: dir.path('big.csv') }), dir.dir, {
      onProgress: (p) => seen.push(p),
    })
    const reading = seen.filter((p) => p.phase === 'reading' && p.fraction > 0 && p.fraction < 0.8)
    expect(reading.length).toBeGreaterThan(0)
    expect(seen.map((p) => p.fraction)).toEqual([...seen.map((p) => p.fraction)].sort((a, b) => a - b))
    expect(seen.at(-1)).toEqual({ phase: 'validating', fraction: 0.85 })
  })

  it('stops with RefreshCancelled when aborted, whichever step it is in (sniffing, reading, writing)', async () => {
    await duckRun(
      sql`copy (select range as id, md5(range::varchar) as a, repeat(md5(range::varchar), 8) as b from range(3000000)) to ${literal(dir.path('big.csv'))} (header)`,
    )
    // Early aborts land in the dialect sniff, whose failures would otherwise send the reader down
    // its slow recovery path; later ones in the read and write.
    for (const after of [5, 40, 150, 600]) {
      const controller = new AbortController()
      setTimeout(() => controller.abort(), after)
      await expect(
        ingestInto(duck, dataSource('csv', { path: dir.path('big.csv') }), dir.dir, {
          signal: controller.signal,
        }),
        `aborted after ${after} ms`,
      ).rejects.toMatchObject({ code: 'RefreshCancelled' })
    }
  }, 60_000)
})

describe('ndjson', () => {
  it('rejects only the bad lines, with line numbers and reasons, keeping their neighbours', async () => {
    const lines = [
      '{"id":1,"name":"a"}',
      '{"id":2,"name":',
      '{"id":3,"name":"c"}',
      '[1,2,3]',
      '',
      '{"id":4,"name":"d"}',
    ]
    for (let i = 5; i <= 60; i++) lines.push(JSON.stringify({ id: i, name: `n${i}` }))
    const buffer = Buffer.concat([
      Buffer.from(`${lines.join('\n')}\n`),
      Buffer.from('{"id":99,"name":"\xff\xfe"}\n', 'latin1'),
    ])
    writeFileSync(dir.path('p.ndjson'), buffer)
    const result = await ingestInto(duck, dataSource('ndjson', { path: dir.path('p.ndjson') }), dir.dir)
    expect(result.rowCount).toBe(59) // ids 1, 3, 4 and 5..60
    expect(result.rows.slice(0, 3).map((r) => r.name)).toEqual(['a', 'c', 'd'])
    const rejects = await readRejects(duck, result.rejectsFile as string)
    expect(rejects.map((r) => [r.line, r.reason.split(':')[0]])).toEqual([
      [2, 'MALFORMED JSON'],
      [4, 'NOT AN OBJECT'],
      [63, 'INVALID ENCODING'],
    ])
    expect(rejects[1]?.reason).toBe('NOT AN OBJECT: each line must be a JSON object, this one is an array')
    expect(rejects[0]?.record).toBe('{"id":2,"name":')
  })

  it('applies type overrides and rejects values that do not convert', async () => {
    const lines = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({
        id: i,
        joined: i === 7 ? 'yesterday' : `2024-02-${String((i % 28) + 1).padStart(2, '0')}T10:00:00Z`,
      }),
    )
    writeFileSync(dir.path('p.ndjson'), `${lines.join('\n')}\n`)
    const result = await ingestInto(
      duck,
      dataSource('ndjson', { path: dir.path('p.ndjson') }, { columnTypes: { joined: 'TIMESTAMPTZ' } }),
      dir.dir,
    )
    expect(result.rowCount).toBe(39)
    expect(result.schema.find((c) => c.name === 'joined')?.type).toBe('TIMESTAMP WITH TIME ZONE')
    expect((await readRejects(duck, result.rejectsFile as string))[0]).toMatchObject({
      column: 'joined',
      reason: 'CAST: record 8: could not convert yesterday to TIMESTAMPTZ',
    })
  })
})

describe('json', () => {
  it('fails a malformed document with the position of the error', async () => {
    writeFileSync(dir.path('p.json'), '[{"id":1},{"id":2,]')
    const error = (await ingestInto(duck, dataSource('json', { path: dir.path('p.json') }), dir.dir).catch(
      (e: unknown) => e,
    )) as AppError
    expect(error.code).toBe('SourceUnreadable')
    expect(error.message).toMatch(/Malformed JSON.*(byte|line)/i)
  })
})

describe('parquet', () => {
  it('fails a corrupt file clearly', async () => {
    writeFileSync(dir.path('p.parquet'), 'this is not parquet at all')
    const error = (await ingestInto(
      duck,
      dataSource('parquet', { path: dir.path('p.parquet') }),
      dir.dir,
    ).catch((e: unknown) => e)) as AppError
    expect(error.code).toBe('SourceUnreadable')
    expect(error.message).toContain('p.parquet')
  })
})

describe('a damaged line in the middle of a CSV', () => {
  const customers = (n: number) =>
    Array.from(
      { length: n },
      (_, i) =>
        `${i + 1},First${i + 1},Last${i + 1},p${i + 1}@example.com,2024-0${(i % 9) + 1}-1${i % 10},${(i * 13.37).toFixed(2)}`,
    )

  it('keeps the good lines and rejects the one with an unterminated quote', async () => {
    const lines = customers(200)
    lines[49] = '50,"First50,Last50,p50@example.com,2024-05-10,668.50' // line 51 of the file
    writeFileSync(dir.path('customers.csv'), `id,first,last,email,since,spent\n${lines.join('\n')}\n`)
    const result = await ingestInto(
      duck,
      dataSource('csv', { path: dir.path('customers.csv') }, { rejectRatio: 0.05 }),
      dir.dir,
    )
    expect(result.rowCount).toBe(199)
    expect(result.rejectedRowCount).toBe(1)
    expect((await readRejects(duck, result.rejectsFile as string))[0]).toMatchObject({ line: 51 })
    expect(result.rows.find((r) => r.id === 51n || r.id === 51)).toMatchObject({ first: 'First51' })
  })

  it("keeps the lines after damage beyond the sniffer's sample (not one reject for the rest)", async () => {
    const lines = customers(30_000)
    lines[25_000] = '25001,"First25001,Last,x@example.com,2024-01-10,1.00'
    lines[27_000] = '27001,"First"27001,Last,y@example.com,2024-01-10,1.00'
    writeFileSync(dir.path('late.csv'), `id,first,last,email,since,spent\n${lines.join('\n')}\n`)
    const result = await ingestInto(duck, dataSource('csv', { path: dir.path('late.csv') }), dir.dir)
    expect(result.rowCount).toBe(29_998)
    expect(result.rejectedRowCount).toBe(2)
    expect((await readRejects(duck, result.rejectsFile as string)).map((r) => r.line)).toEqual([
      25_002, 27_002,
    ])
  })
})

describe('CSV as spreadsheets write it, detected from the data', () => {
  const german = [
    'kunden_nr;vorname;nachname;geburt;umsatz;plz',
    '1;Jürgen;Müller;25.11.1991;1234,56;01234',
    '2;Anna;Schmidt;03.02.1985;99,5;80331',
    '3;Søren;Ødegård;13.12.2001;0,75;20095',
  ]

  it('reads a Latin-1 file separated by ; with decimal commas and day-first dates, and says what it detected', async () => {
    writeFileSync(dir.path('kunden.csv'), Buffer.from(`${german.join('\r\n')}\r\n`, 'latin1'))
    const result = await ingestInto(
      duck,
      dataSource('csv', { path: dir.path('kunden.csv') }, { primaryKey: 'kunden_nr' }),
      dir.dir,
    )
    expect(result.rowCount).toBe(3)
    expect(result.dialect).toMatchObject({
      delimiter: ';',
      encoding: 'latin-1',
      decimalSeparator: ',',
      dateFormat: '%d.%m.%Y',
      detected: expect.arrayContaining(['delimiter', 'encoding', 'decimalSeparator', 'dateFormat']),
    })
    const first = result.rows.find((r) => Number(r.kunden_nr) === 1)
    expect(first).toMatchObject({ vorname: 'Jürgen', umsatz: 1234.56, plz: '01234' })
    expect(((first as Record<string, unknown>).geburt as Date).toISOString()).toMatch(/^1991-11-25/)
    expect(result.rows.find((r) => Number(r.kunden_nr) === 3)).toMatchObject({ nachname: 'Ødegård' })
  })

  it('reads day-first dates written without separators (251191) as dates, and rejects one that is not', async () => {
    const lines = [
      'kunden_nr;name;geburt',
      '1;Ann;251191',
      '2;Bo;030285',
      '3;Cy;010101',
      ...Array.from({ length: 40 }, (_, i) => `${i + 4};P${i};1505${String(60 + i).padStart(2, '0')}`),
    ]
    lines.push('99;Bad;311391')
    writeFileSync(dir.path('geburt.csv'), `${lines.join('\n')}\n`)
    const result = await ingestInto(
      duck,
      dataSource('csv', { path: dir.path('geburt.csv') }, { primaryKey: 'kunden_nr', rejectRatio: 0.5 }),
      dir.dir,
    )
    expect(result.schema.find((c) => c.name === 'geburt')?.type).toBe('DATE')
    expect(result.dialect).toMatchObject({
      dateFormat: '%d%m%y',
      detected: expect.arrayContaining(['dateFormat']),
    })
    const date = (id: number) =>
      (
        (result.rows.find((r) => Number(r.kunden_nr) === id) as Record<string, unknown>).geburt as Date
      ).toISOString()
    expect(date(1)).toMatch(/^1991-11-25/)
    expect(date(2)).toMatch(/^1985-02-03/)
    expect(date(3)).toMatch(/^2001-01-01/)
    expect(result.rejectedRowCount).toBe(1)
    expect((await readRejects(duck, result.rejectsFile as string))[0]).toMatchObject({ line: lines.length })
  })

  it('reads tab-separated UTF-8, and keeps what the source sets over what it would detect', async () => {
    writeFileSync(dir.path('tabs.csv'), 'id\tname\tamount\n1\tÅse\t1.5\n2\tBo\t2.25\n')
    const tabs = await ingestInto(duck, dataSource('csv', { path: dir.path('tabs.csv') }), dir.dir)
    expect(tabs.dialect).toMatchObject({ delimiter: '\t', encoding: 'utf-8', decimalSeparator: '.' })
    expect(tabs.rows.map((r) => r.amount)).toEqual([1.5, 2.25])
    writeFileSync(dir.path('set.csv'), `${german.join('\n')}\n`)
    const set = await ingestInto(
      duck,
      dataSource('csv', { path: dir.path('set.csv'), decimalSeparator: '.' }, { primaryKey: 'kunden_nr' }),
      dir.dir,
    )
    expect(set.dialect?.detected).not.toContain('decimalSeparator')
    expect(set.rows.find((r) => Number(r.kunden_nr) === 1)?.umsatz).toBe('1234,56')
  })
})
