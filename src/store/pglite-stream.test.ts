import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PGliteStream } from './pglite-stream.js'

/** A stand-in for PGlite that records each message it is given and answers with its length. */
function fakePglite() {
  const received: Buffer[] = []
  let inTransaction = false
  const db = {
    closed: false,
    runExclusive: <T>(work: () => Promise<T>) => work(),
    execProtocolRawStream: async (
      message: Uint8Array,
      options: { onRawData: (data: Uint8Array) => void },
    ) => {
      received.push(Buffer.from(message))
      const answer = Buffer.alloc(4)
      answer.writeInt32BE(message.length)
      options.onRawData(answer)
    },
    isInTransaction: () => inTransaction,
    exec: async (query: string) => {
      received.push(Buffer.from(`exec:${query}`))
      inTransaction = false
    },
  }
  return { db, received, begin: () => (inTransaction = true) }
}

const startup = () => {
  const body = Buffer.from('user\0postgres\0\0')
  const message = Buffer.alloc(8 + body.length)
  message.writeInt32BE(message.length, 0)
  message.writeInt32BE(196608, 4)
  body.copy(message, 8)
  return message
}
const typed = (type: number, body: Uint8Array) => {
  const message = Buffer.alloc(5 + body.length)
  message[0] = type
  message.writeInt32BE(4 + body.length, 1)
  Buffer.from(body).copy(message, 5)
  return message
}

/** A buffer of whole typed messages (or the startup message first), split. */
function splitMessages(buffer: Buffer): Buffer[] {
  const parts: Buffer[] = []
  for (let at = 0; at < buffer.length; ) {
    const length = buffer[at] === 0 ? buffer.readInt32BE(at) : 1 + buffer.readInt32BE(at + 1)
    parts.push(buffer.subarray(at, at + length))
    at += length
  }
  return parts
}

describe('the in-process stream to PGlite', () => {
  it("hands PGlite whole messages, an extended-protocol statement's at once up to its Sync, however the bytes arrive", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            type: fc.constantFrom(...'PBDESQCH'.split('').map((c) => c.charCodeAt(0))),
            body: fc.uint8Array({ maxLength: 300 }),
          }),
          { maxLength: 20 },
        ),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 30 }),
        async (messages, cuts) => {
          const { db, received } = fakePglite()
          const stream = new PGliteStream(db as never)
          const answers: Buffer[] = []
          stream.on('data', (d: Buffer) => answers.push(d))
          const sent = [startup(), ...messages.map((m) => typed(m.type, m.body))]
          const bytes = Buffer.concat(sent)
          // The same bytes in pieces of the sizes drawn, over and over.
          for (let at = 0, i = 0; at < bytes.length; i++) {
            const size = cuts[i % cuts.length] as number
            await new Promise<void>((resolve, reject) =>
              stream.write(bytes.subarray(at, at + size), (e) => (e ? reject(e) : resolve())),
            )
            at += size
          }
          await new Promise((resolve) => setImmediate(resolve))
          // Every byte, in order, and nothing else.
          expect(Buffer.concat(received)).toEqual(bytes)
          for (const call of received) {
            const parts = splitMessages(call)
            expect(Buffer.concat(parts)).toEqual(call)
            if (parts.length > 1)
              parts.forEach((part, i) => {
                // Only extended-protocol messages go together, and a Sync only as the last.
                expect('PBDESCH'.includes(String.fromCharCode(part[0] as number))).toBe(true)
                if (i < parts.length - 1) expect(part[0]).not.toBe(0x53)
              })
          }
          // The startup and each simple query alone.
          for (const message of sent.filter((m) => m[0] === 0 || m[0] === 0x51))
            expect(received.some((call) => call.equals(message))).toBe(true)
          // Without writes waiting (each awaited above), a statement goes at most as far as the
          // messages received so far: never fewer calls than Syncs and simple queries.
          const ends = sent.filter((m) => m[0] === 0x53 || m[0] === 0x51).length
          expect(received.length).toBeGreaterThanOrEqual(ends)
          expect(answers.map((a) => a.readInt32BE(0))).toEqual(received.map((m) => m.length))
        },
      ),
      { numRuns: 200 },
    )
  })

  it("sends a statement's messages to PGlite in one call, and a simple query in one of its own", async () => {
    const { db, received } = fakePglite()
    const stream = new PGliteStream(db as never)
    stream.on('data', () => {})
    const write = (chunk: Buffer) =>
      new Promise<void>((resolve, reject) => stream.write(chunk, (e) => (e ? reject(e) : resolve())))
    await write(startup())
    const statement = [0x50, 0x42, 0x44, 0x45, 0x53].map((type) => typed(type, Buffer.from('x\0')))
    const query = typed(0x51, Buffer.from('select 1\0'))
    const next = [0x42, 0x45, 0x53].map((type) => typed(type, Buffer.from('y\0')))
    await write(Buffer.concat([...statement, query, ...next]))
    await new Promise((resolve) => setImmediate(resolve))
    expect(received.slice(1)).toEqual([Buffer.concat(statement), query, Buffer.concat(next)])
    // pg writes a statement's messages one by one: those written while one ran go together.
    received.length = 0
    await Promise.all(next.map((m) => write(m)))
    expect(received).toEqual([next[0], Buffer.concat(next.slice(1))])
  })

  it('fails the connection, as a broken socket would, when PGlite fails', async () => {
    const { db } = fakePglite()
    db.execProtocolRawStream = async () => {
      throw new Error('PGlite is closed')
    }
    const stream = new PGliteStream(db as never)
    const failed = new Promise<Error>((resolve) => stream.on('error', resolve))
    stream.write(startup())
    expect((await failed).message).toBe('PGlite is closed')
    expect(stream.destroyed).toBe(true)
  })

  it('answers an SSL request with N, ends at Terminate, and rolls back a transaction left open', async () => {
    const { db, received, begin } = fakePglite()
    const stream = new PGliteStream(db as never)
    const answers: Buffer[] = []
    stream.on('data', (d: Buffer) => answers.push(d))
    const ended = new Promise<void>((resolve) => stream.on('end', resolve))
    const ssl = Buffer.alloc(8)
    ssl.writeInt32BE(8, 0)
    ssl.writeInt32BE(80877103, 4)
    stream.write(ssl)
    stream.write(startup())
    begin()
    stream.write(typed(0x58, new Uint8Array()))
    await ended
    expect(answers[0]?.toString()).toBe('N')
    expect(received.map((m) => m.toString('latin1')).at(-1)).toBe('exec:rollback')
    expect(received).toHaveLength(2)
  })
})
