import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { fromRecord } from '../workflow/durable.js'
import type { WorkflowEvent } from '../workflow/events.js'
import { fileStore } from '../workflow/store/file.js'
import type { StepRecord } from '../workflow/store/types.js'

/** How far a stored run got, as far as its records tell. */
export type RunState = 'ok' | 'failed' | 'incomplete'

/** One stored run, as `runs list` shows it. */
export interface RunInfo {
  readonly runId: string
  readonly state: RunState
  /** Steps recorded (the outcome record not counted). */
  readonly steps: number
  /** Epoch ms of the last write, when the store knows it. */
  readonly updatedAt?: number
}

/** A stored run in full: its records and, when the store kept them, its events with timestamps. */
export interface RunDetail extends RunInfo {
  readonly records: readonly StepRecord[]
  /** The run's events (with their times), from stores that keep a history; absent otherwise. */
  readonly events?: readonly WorkflowEvent[]
}

/** What a command could not do, with the exit code it means (see `EXIT` in cli.ts). */
export class CliFailure {
  constructor(
    readonly code: number,
    readonly message: string,
  ) {}
}

/**
 * Where the command line reads runs from. `list` and `get` are all a fileStore can answer today;
 * `retry` and `cancel` belong to stores that a client drives (store v2), and a source without
 * them makes those commands exit with NOT_SUPPORTED.
 */
export interface RunSource {
  list(query: { limit?: number | undefined }): Promise<RunInfo[]>
  /** undefined when there is no such run. */
  get(runId: string): Promise<RunDetail | undefined>
  retry?(runId: string): Promise<void>
  cancel?(runId: string): Promise<void>
}

const code = (e: unknown) => (e as NodeJS.ErrnoException | null)?.code

function infoOf(runId: string, records: readonly StepRecord[], updatedAt?: number): RunInfo {
  const outcome = records.find((r) => r.seq === -1)
  const state: RunState = outcome === undefined ? 'incomplete' : outcome.ok ? 'ok' : 'failed'
  const steps = records.filter((r) => r.seq >= 0).length
  return updatedAt === undefined ? { runId, state, steps } : { runId, state, steps, updatedAt }
}

/**
 * A `fileStore(dir)` read without taking any lock: one `<runId>.jsonl` per run. Read-only, so it
 * is safe beside a live process writing the same directory.
 */
export function fileSource(dir: string): RunSource {
  const store = fileStore(dir)
  const mtime = async (runId: string) => {
    try {
      return (await stat(join(dir, `${encodeURIComponent(runId)}.jsonl`))).mtimeMs
    } catch {
      return undefined
    }
  }
  return {
    async list({ limit }) {
      let names: string[]
      try {
        names = await readdir(dir)
      } catch (e) {
        if (code(e) === 'ENOENT') throw new CliFailure(3, `no store at ${dir}`)
        throw e
      }
      const ids = names.filter((n) => n.endsWith('.jsonl')).map((n) => decodeURIComponent(n.slice(0, -'.jsonl'.length)))
      const runs = await Promise.all(ids.map(async (id) => infoOf(id, await store.load(id), await mtime(id))))
      // Newest first, as people look for the run that just happened.
      runs.sort((a, b) => (b.updatedAt ?? 0) - (a.updatedAt ?? 0) || (a.runId < b.runId ? -1 : 1))
      return limit === undefined ? runs : runs.slice(0, limit)
    },
    async get(runId) {
      const updatedAt = await mtime(runId)
      if (updatedAt === undefined) return undefined
      const records = await store.load(runId)
      return { ...infoOf(runId, records, updatedAt), records }
    },
  }
}

/** A record's value as the workflow would see it (errors decoded), for display. */
export const recordValue = (r: StepRecord): unknown => {
  const x = fromRecord(r)
  return x.isOk() ? x.value : x.error
}

/** Optional times a store may keep on a record (not in today's `StepRecord`; read when present). */
interface Timed {
  readonly startedAt?: unknown
  readonly endedAt?: unknown
}
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)

/**
 * Events for drawing a run. A store with a history gives its own; otherwise they are rebuilt from
 * the records, using `startedAt`/`endedAt` where a record has them. Without times, steps are laid
 * out in order, one millisecond each, and `timed` is false so the caller can say so.
 */
export function eventsFor(run: RunDetail): { events: readonly WorkflowEvent[]; timed: boolean } {
  if (run.events) return { events: run.events, timed: true }
  const base = { runId: run.runId, workflow: run.runId }
  const steps = run.records.filter((r) => r.seq >= 0).sort((a, b) => a.seq - b.seq)
  const timed =
    steps.length > 0 &&
    steps.every((r) => num((r as Timed).startedAt) !== undefined && num((r as Timed).endedAt) !== undefined)
  const t0 = timed ? Math.min(...steps.map((r) => num((r as Timed).startedAt) as number)) : 0
  const events: WorkflowEvent[] = [{ ...base, type: 'workflow_start', ts: t0 }]
  let end = t0
  for (const [i, r] of steps.entries()) {
    const from = timed ? (num((r as Timed).startedAt) as number) : i
    const to = timed ? (num((r as Timed).endedAt) as number) : i + 1
    end = Math.max(end, to)
    const step = { ...base, stepId: `s${r.seq}`, name: r.key, kind: 'step' as const, attempt: 1 }
    events.push({ ...step, type: 'step_start', ts: from })
    events.push(
      r.ok
        ? { ...step, type: 'step_success', ts: to, durationMs: to - from }
        : { ...step, type: 'step_error', ts: to, durationMs: to - from, error: recordValue(r) },
    )
  }
  const outcome = run.records.find((r) => r.seq === -1)
  if (outcome) {
    const done = { ...base, ts: end, durationMs: end - t0 }
    events.push(
      outcome.ok
        ? { ...done, type: 'workflow_success' }
        : { ...done, type: 'workflow_error', error: recordValue(outcome) },
    )
  }
  return { events, timed }
}
