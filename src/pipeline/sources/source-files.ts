import { access } from 'node:fs/promises'
import { z } from 'zod'
import { AppError } from '../../errors.js'

const GLOB = /[*?[\]{}]/

/** Paths of file-based sources: one path or several, globs allowed. */
export function asPathList(path: string | string[]): string[] {
  return Array.isArray(path) ? path : [path]
}

/** Fails with SourceNotFound when a plain (non-glob) path does not exist. */
export async function assertFilesExist(paths: string[], dataSourceName: string): Promise<void> {
  for (const path of paths) {
    if (GLOB.test(path)) continue
    try {
      await access(path)
    } catch {
      throw new AppError(
        'SourceNotFound',
        `data source '${dataSourceName}': file ${path} does not exist or cannot be read; fix the path in its options or restore the file`,
        { target: `dataSources.${dataSourceName}.options.path`, status: 422 },
      )
    }
  }
}

/** The `path` option of file-based sources: one path, a glob, or a list of them. */
export const filePathOption = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .describe('File path, glob or list of them')
