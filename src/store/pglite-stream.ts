import { Duplex } from 'node:stream'
import type { PGlite } from '@electric-sql/pglite'

/** PostgreSQL's SSLRequest code (a startup-phase message without a type byte). */
const SSL_REQUEST = 80877103
/** The protocol version of a StartupMessage (3.0). */
const PROTOCOL_3 = 196608
/** Sync: the end of an extended-protocol statement. */
const SYNC = 0x53
/** The extended protocol's messages (Parse, Bind, Describe, Execute, Close, Flush, Sync), which go to PGlite a statement at a time. */
const EXTENDED = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x48, SYNC])

/**
 * A `pg` connection's stream to PGlite in this process: the protocol messages pg writes go to
 * PGlite one by one, and its answers are read back — the wire protocol without a socket. pg
 * speaks to it as to a server (prepared statements, the extended protocol), and no port is
 * opened for another process to reach the store through.
 */
export class PGliteStream extends Duplex {
  readonly #db: PGlite
  #pending: Buffer = Buffer.alloc(0)
  #startup = true

  constructor(db: PGlite) {
    super()
    this.#db = db
  }

  /** As a socket's: "connected" at once. */
  connect(): this {
    process.nextTick(() => this.emit('connect'))
    return this
  }
  setNoDelay(): this {
    return this
  }
  setKeepAlive(): this {
    return this
  }
  ref(): this {
    return this
  }
  unref(): this {
    return this
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#receive([chunk], callback)
  }

  /** The writes pg made while the last one ran (a statement's Bind, Execute and Sync), at once. */
  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.#receive(
      chunks.map(({ chunk }) => chunk),
      callback,
    )
  }

  #receive(chunks: Buffer[], callback: (error?: Error | null) => void): void {
    this.#pending =
      this.#pending.length === 0 && chunks.length === 1
        ? (chunks[0] as Buffer)
        : Buffer.concat([this.#pending, ...chunks])
    this.#execute(this.#takeMessages()).then(() => callback(), callback)
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#end().then(() => callback(), callback)
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#end().then(
      () => callback(error),
      () => callback(error),
    )
  }

  /** The complete messages received so far (a message may arrive in pieces, or several at once). */
  #takeMessages(): Buffer[] {
    const messages: Buffer[] = []
    for (;;) {
      const buffer = this.#pending
      // Startup phase: length (4 bytes, itself included) then the body; afterwards a type byte first.
      const headerLength = this.#startup ? 4 : 5
      if (buffer.length < headerLength) break
      const length = this.#startup ? buffer.readInt32BE(0) : 1 + buffer.readInt32BE(1)
      if (length < headerLength - 1 || buffer.length < length) break
      const message = buffer.subarray(0, length)
      this.#pending = buffer.subarray(length)
      if (this.#startup && length >= 8 && message.readInt32BE(4) === PROTOCOL_3) this.#startup = false
      messages.push(message)
    }
    return messages
  }

  /**
   * Hands the messages to PGlite: an extended-protocol statement's messages (Parse, Bind,
   * Describe, Execute, Close, Flush, up to and with its Sync) in one call, which PGlite runs one
   * after the other as a server reads them from its socket, answering them at once; any other
   * message (the startup, a simple query, COPY data) alone, as a call of its own.
   */
  async #execute(messages: Buffer[]): Promise<void> {
    // The messages are consecutive views of the bytes received (#takeMessages), so a statement's
    // messages are one view of them: from its first message's start to its last one's end.
    let group: { first: Buffer; last: Buffer } | undefined
    const flush = async () => {
      if (!group) return
      const { first, last } = group
      group = undefined
      await this.#run(
        first === last
          ? first
          : Buffer.from(first.buffer, first.byteOffset, last.byteOffset + last.length - first.byteOffset),
      )
    }
    for (const message of messages) {
      if (this.#startup && message.length === 8 && message.readInt32BE(4) === SSL_REQUEST) {
        // No TLS in-process: 'N', and the client goes on in the clear.
        await flush()
        this.push(Buffer.from('N'))
        continue
      }
      if (!this.#startup && message[0] === 0x58) {
        // Terminate.
        await flush()
        await this.#end()
        this.push(null)
        continue
      }
      if (!EXTENDED.has(message[0] as number)) {
        await flush()
        await this.#run(message)
        continue
      }
      group = { first: group?.first ?? message, last: message }
      if (message[0] === SYNC) await flush()
    }
    await flush()
  }

  #run(data: Buffer): Promise<void> {
    return this.#db.runExclusive(() =>
      this.#db.execProtocolRawStream(data, {
        // A view of PGlite's memory, reused: copied before it is handed on.
        onRawData: (data) => this.push(Buffer.from(data)),
      }),
    )
  }

  /** A transaction the connection leaves open is rolled back: the next connection starts clean. */
  async #end(): Promise<void> {
    if (this.#db.closed) return
    if (this.#db.isInTransaction()) await this.#db.exec('rollback')
  }
}
