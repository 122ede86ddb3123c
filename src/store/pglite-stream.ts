import { Duplex } from 'node:stream'
import type { PGlite } from '@electric-sql/pglite'

/** PostgreSQL's SSLRequest code (a startup-phase message without a type byte). */
const SSL_REQUEST = 80877103
/** The protocol version of a StartupMessage (3.0). */
const PROTOCOL_3 = 196608

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
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk])
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

  async #execute(messages: Buffer[]): Promise<void> {
    for (const message of messages) {
      if (this.#startup && message.length === 8 && message.readInt32BE(4) === SSL_REQUEST) {
        // No TLS in-process: 'N', and the client goes on in the clear.
        this.push(Buffer.from('N'))
        continue
      }
      if (!this.#startup && message[0] === 0x58) {
        // Terminate.
        await this.#end()
        this.push(null)
        continue
      }
      await this.#db.runExclusive(() =>
        this.#db.execProtocolRawStream(message, {
          // A view of PGlite's memory, reused: copied before it is handed on.
          onRawData: (data) => this.push(Buffer.from(data)),
        }),
      )
    }
  }

  /** A transaction the connection leaves open is rolled back: the next connection starts clean. */
  async #end(): Promise<void> {
    if (this.#db.closed) return
    if (this.#db.isInTransaction()) await this.#db.exec('rollback')
  }
}
