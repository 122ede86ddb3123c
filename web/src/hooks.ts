import { createContext, useCallback, useContext, useEffect, useState } from 'react'
import { api } from './api'

export interface Loaded<T> {
  data: T | undefined
  error: Error | undefined
  loading: boolean
  reload: () => void
}

/**
 * GETs a path and keeps the answer; `pollMs` reloads it while the page shows — only while
 * `pollWhile` says the answer can still change (a refresh or run under way), when given. A null
 * path loads nothing.
 */
export function useApi<T>(
  path: string | null,
  options: { pollMs?: number | undefined; pollWhile?: (data: T) => boolean } = {},
): Loaded<T> {
  const [data, setData] = useState<T>()
  const [error, setError] = useState<Error>()
  const [loading, setLoading] = useState(path !== null)
  const [generation, setGeneration] = useState(0)
  const polling =
    path !== null &&
    options.pollMs !== undefined &&
    (!options.pollWhile || (data !== undefined && options.pollWhile(data)))

  // biome-ignore lint/correctness/useExhaustiveDependencies: generation asks for a reload
  useEffect(() => {
    if (path === null) return
    let cancelled = false
    setLoading(true)
    api<T>(path)
      .then((value) => {
        if (cancelled) return
        setData(value)
        setError(undefined)
      })
      .catch((e: unknown) => {
        if (!cancelled) setError(e as Error)
      })
      .finally(() => {
        if (!cancelled) setLoading(false)
      })
    return () => {
      cancelled = true
    }
  }, [path, generation])

  useEffect(() => {
    if (!polling) return
    const timer = setInterval(() => setGeneration((g) => g + 1), options.pollMs)
    return () => clearInterval(timer)
  }, [polling, options.pollMs])

  const reload = useCallback(() => setGeneration((g) => g + 1), [])
  return { data, error, loading, reload }
}

/** Runs a change (POST/PUT/DELETE) and tracks it: busy while it runs, its error after. */
export function useAction<A extends unknown[], R>(
  run: (...args: A) => Promise<R>,
): { busy: boolean; error: Error | undefined; run: (...args: A) => Promise<R | undefined> } {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<Error>()
  const go = useCallback(
    async (...args: A) => {
      setBusy(true)
      setError(undefined)
      try {
        return await run(...args)
      } catch (e) {
        setError(e as Error)
        return undefined
      } finally {
        setBusy(false)
      }
    },
    [run],
  )
  return { busy, error, run: go }
}

/** The instance the UI works on (the first one, or the one picked in the header). */
export const InstanceContext = createContext<string>('demo')
export const useInstance = () => useContext(InstanceContext)
