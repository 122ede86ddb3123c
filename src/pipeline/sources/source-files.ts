import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { z } from 'zod'
import { AppError } from '../../errors.js'

const GLOB = /[*?[\]{}]/

/** Paths of file-based sources: one path or several, globs allowed. */
export function asPathList(path: string | string[]): string[] {
  return Array.isArray(path) ? path : [path]
}

/**
 * Fails with SourceNotFound when a plain (non-glob) path does not exist, and with
 * SourceUnreadable when it is not a regular file: a named pipe or a device (/dev/zero) would
 * keep a refresh reading for ever.
 */
export async function assertFilesExist(paths: string[], dataSourceName: string): Promise<void> {
  const target = `dataSources.${dataSourceName}.options.path`
  for (const path of paths) {
    if (GLOB.test(path)) continue
    let kind: Awaited<ReturnType<typeof stat>>
    try {
      await access(path, constants.R_OK)
      kind = await stat(path)
    } catch {
      throw new AppError(
        'SourceNotFound',
        `data source '${dataSourceName}': file ${path} does not exist or cannot be read; fix the path in its options or restore the file`,
        { target },
      )
    }
    if (!kind.isFile())
      throw new AppError(
        'SourceUnreadable',
        `data source '${dataSourceName}': ${path} is ${kind.isDirectory() ? 'a directory' : 'not a regular file (a pipe, socket or device)'}; point the path at a file, or use a glob such as ${path.replace(/\/$/, '')}/*.csv`,
        { target },
      )
  }
}

/** The `path` option of file-based sources: one path, a glob, or a list of them. */
export const filePathOption = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .describe('File path, glob or list of them')
