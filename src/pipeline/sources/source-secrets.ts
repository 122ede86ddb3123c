import { AppError } from '../../errors.js'
import { redactCredentials, type SecretBox } from '../../secrets/index.js'
import { type DataSourceKind, listAllDataSources, upsertDataSource } from '../../store/data-sources.js'
import type { Db } from '../../store/database.js'
import { sourceReader } from './index.js'

/** How a sealed option is stored: `sealed:` and the SecretBox's text. */
const SEALED = 'sealed:'

const secretKeys = (kind: DataSourceKind) => sourceReader(kind).secretOptions ?? []

/** An option's clear text (stored ones from before sealing are clear already). */
function opened(value: unknown, box: SecretBox): unknown {
  return typeof value === 'string' && value.startsWith(SEALED) ? box.open(value.slice(SEALED.length)) : value
}

/**
 * A data source's options as stored: each credential option sealed. A value written with its
 * secret masked (`***`, as `config export` and the API show it) stands for the stored one, when it
 * is the same otherwise; an unchanged value keeps its stored seal, so re-applying changes nothing.
 */
export function sealSourceOptions(
  source: { name: string; kind: DataSourceKind; options: Record<string, unknown> },
  box: SecretBox,
  stored: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const options = { ...source.options }
  for (const key of secretKeys(source.kind)) {
    const value = options[key]
    if (typeof value !== 'string' || value.startsWith(SEALED)) continue
    const previous = stored?.[key]
    const previousText = previous === undefined ? undefined : String(opened(previous, box))
    if (previousText !== undefined && (value === previousText || value === redactCredentials(previousText))) {
      options[key] =
        typeof previous === 'string' && previous.startsWith(SEALED)
          ? previous
          : SEALED + box.seal(previousText)
      continue
    }
    if (value.includes('***'))
      throw new AppError(
        'MaskedSecret',
        `dataSources.${source.name}.options.${key} has its password masked (***) and differs from the stored one in more than that; write the password out`,
        { target: `dataSources.${source.name}.options.${key}` },
      )
    options[key] = SEALED + box.seal(value)
  }
  return options
}

/** Options with their credentials opened, for the reader only. */
export function openSourceOptions(
  kind: DataSourceKind,
  options: Record<string, unknown>,
  box: SecretBox,
): Record<string, unknown> {
  const keys = secretKeys(kind)
  return Object.fromEntries(
    Object.entries(options).map(([k, v]) => [k, keys.includes(k) ? opened(v, box) : v]),
  )
}

/** Options as anyone who may read the data source sees them: credentials masked. */
export function publicSourceOptions(
  kind: DataSourceKind,
  options: Record<string, unknown>,
  box: SecretBox,
): Record<string, unknown> {
  const keys = secretKeys(kind)
  return Object.fromEntries(
    Object.entries(options).map(([k, v]) => {
      if (!keys.includes(k) || typeof v !== 'string') return [k, v]
      try {
        return [k, redactCredentials(String(opened(v, box)))]
      } catch {
        return [k, '*** (sealed with another key)']
      }
    }),
  )
}

/**
 * Seals credentials stored in clear by earlier versions (data sources saved before sealing), in
 * one transaction; a no-op once done. Runs as a process opens the store.
 */
export async function sealClearSourceSecrets(db: Db, box: SecretBox): Promise<number> {
  return db.transaction().execute(async (tx) => {
    let sealed = 0
    for (const source of await listAllDataSources(tx)) {
      const clear = secretKeys(source.kind).some(
        (k) => typeof source.options[k] === 'string' && !String(source.options[k]).startsWith(SEALED),
      )
      if (!clear) continue
      await upsertDataSource(tx, source.instanceId, {
        ...source,
        options: sealSourceOptions(source, box, undefined),
      })
      sealed++
    }
    return sealed
  })
}
