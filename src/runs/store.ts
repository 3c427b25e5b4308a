import { InvalidOptionsError } from '../errors.js'

const METHODS = [
  'acquire',
  'renew',
  'release',
  'load',
  'append',
  'reopen',
  'createRun',
  'getRun',
  'listRuns',
  'claim',
  'setState',
  'requestCancel',
  'requeue',
] as const

/** An InvalidOptionsError unless `store` has every method of a RunStore (store v2 + run queue). */
export function checkRunStore(store: unknown): InvalidOptionsError | undefined {
  const s = store as Record<string, unknown> | null
  if (s !== null && typeof s === 'object' && METHODS.every((m) => typeof s[m] === 'function')) return undefined
  return new InvalidOptionsError(
    'store',
    store,
    'a run store such as memoryStore(), fileStore(dir) or postgresStore(pool)',
  )
}
