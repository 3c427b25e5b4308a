import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Result } from 'neverthrow'
import { describeError } from '../internal/describe-error.js'
import { type Client, createClient } from '../runs/client.js'
import type { StepKind, WorkflowEvent } from '../workflow/events.js'
import { fileStore, safeName } from '../workflow/store/file.js'
import { fromRecord } from '../workflow/store/record.js'
import type { RunFilter, RunInfo, RunState, RunStore, StepRecord } from '../workflow/store/types.js'

/** Exit codes scripts can rely on. */
export const EXIT = {
  /** The command did what it was asked. */
  OK: 0,
  /** The store could not be read or written (I/O error, damaged record, server down). */
  FAILED: 1,
  /** Bad arguments: unknown command or option, a missing run id or store, a run in the wrong state. */
  USAGE: 2,
  /** No such run, or no store at that path (no okflow schema in that database). */
  NOT_FOUND: 3,
  /** The store or the run cannot do this (retry/cancel of a run no worker drives, `pg` not installed). */
  NOT_SUPPORTED: 4,
} as const

/** What a command could not do, with the exit code it means. */
export class CliFailure {
  constructor(
    readonly code: number,
    readonly message: string,
  ) {}
}

export const fail = (code: number, message: string): never => {
  throw new CliFailure(code, message)
}

/**
 * A run written by `createWorkflow(deps, { store, runId })`: it has a journal but is not
 * registered (no workflow name, input or queue state), so its state comes from its records.
 */
export interface JournalRun {
  readonly runId: string
  /** '' : not a registered workflow's run. */
  readonly workflow: ''
  /** `incomplete`: no outcome recorded (still running, crashed or cancelled: the journal cannot tell). */
  readonly state: 'succeeded' | 'failed' | 'incomplete'
  readonly steps: number
  /** The first recorded step's start, when the records keep times. */
  readonly createdAt?: number
  /** The journal's last write, when the store can tell. */
  readonly updatedAt?: number
}

/** A run as `runs list` gives it: the store's RunInfo for registered runs (client.list), else a JournalRun. */
export type ListedRun = RunInfo | JournalRun

/** A run in full, as `runs show` gives it. */
export type RunDetail = ListedRun & { readonly steps: number; readonly records: readonly StepRecord[] }

export const isRegistered = (r: ListedRun): r is RunInfo => r.workflow !== ''

/** Opens the store and says what it is; `close` frees its connections. */
export interface OpenedStore {
  readonly store: RunStore
  /** Journals without a registration (fileStore only: their ids, with the journal's mtime). */
  readonly journals?: () => Promise<{ runId: string; updatedAt: number }[]>
  /** Whether a journal exists for this id (fileStore only: a journal may have no records). */
  readonly journalTime?: (runId: string) => Promise<number | undefined>
  /** Turns a store failure into the exit code it means (e.g. no okflow schema → NOT_FOUND). */
  readonly explain?: (e: unknown) => CliFailure | undefined
  close(): Promise<void>
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException | null)?.code

/** A fileStore directory; NOT_FOUND when there is none (reading never creates it). */
export async function openFileStore(dir: string): Promise<OpenedStore> {
  try {
    if (!(await stat(dir)).isDirectory()) fail(EXIT.NOT_FOUND, `no store at ${dir} (not a directory)`)
  } catch (e) {
    if (e instanceof CliFailure) throw e
    if (errno(e) === 'ENOENT') fail(EXIT.NOT_FOUND, `no store at ${dir}`)
    throw e
  }
  const mtime = async (runId: string) => {
    try {
      return (await stat(join(dir, `${safeName(runId)}.jsonl`))).mtimeMs
    } catch {
      return undefined
    }
  }
  return {
    store: fileStore(dir),
    journalTime: mtime,
    async journals() {
      const names = await readdir(dir)
      const registered = new Set(names.filter((n) => n.endsWith('.run.json')).map((n) => n.slice(0, -9)))
      const out: { runId: string; updatedAt: number }[] = []
      for (const n of names) {
        if (!n.endsWith('.jsonl') || registered.has(n.slice(0, -6))) continue
        let runId: string
        try {
          runId = decodeURIComponent(n.slice(0, -6))
        } catch {
          continue // a hashed name (a very long id): the id cannot be read back from it
        }
        const t = await mtime(runId)
        if (t !== undefined) out.push({ runId, updatedAt: t })
      }
      return out
    },
    close: async () => {},
  }
}

/** The first err of a client answer as the CliFailure it means; the ok value otherwise. */
function unwrap<T>(r: Result<T, unknown>, opened: OpenedStore): T {
  if (r.isOk()) return r.value
  const e = r.error
  if ((e as { _tag?: string } | null)?._tag === 'RunNotFoundError') {
    fail(EXIT.NOT_FOUND, `no run "${(e as { runId: string }).runId}" in this store`)
  }
  throw opened.explain?.(e) ?? new CliFailure(EXIT.FAILED, describeError(e).message)
}

/** A journal's state, from its outcome record. */
function journalState(records: readonly StepRecord[]): JournalRun['state'] {
  const outcome = records.find((r) => r.seq === -1)
  return outcome === undefined ? 'incomplete' : outcome.ok ? 'succeeded' : 'failed'
}

function journalRun(runId: string, records: readonly StepRecord[], updatedAt?: number): JournalRun {
  const starts = records.map((r) => r.startedAt).filter((t): t is number => typeof t === 'number')
  return {
    runId,
    workflow: '',
    state: journalState(records),
    steps: records.filter((r) => r.seq >= 0).length,
    ...(starts.length > 0 ? { createdAt: Math.min(...starts) } : {}),
    ...(updatedAt === undefined ? {} : { updatedAt }),
  }
}

const newest = (a: ListedRun, b: ListedRun) =>
  (b.createdAt ?? b.updatedAt ?? 0) - (a.createdAt ?? a.updatedAt ?? 0) || (a.runId < b.runId ? -1 : 1)

/** What the commands read and do, over a client of the store. */
export class RunSource {
  readonly client: Client
  constructor(readonly opened: OpenedStore) {
    this.client = createClient(opened.store)
  }

  private async load(runId: string): Promise<readonly StepRecord[]> {
    try {
      return await this.opened.store.load(runId)
    } catch (e) {
      throw this.opened.explain?.(e) ?? new CliFailure(EXIT.FAILED, describeError(e).message)
    }
  }

  /** Newest first: registered runs as the store has them, and runs that only have a journal. */
  async list(filter: { workflow?: string | undefined; state?: RunState | 'incomplete' | undefined; limit?: number }) {
    const { workflow, state, limit } = filter
    if (workflow !== undefined) {
      // Only registered runs have a workflow name: the store can filter and cut the list itself.
      if (state === 'incomplete') return []
      const q: RunFilter = { workflow, ...(state ? { state } : {}), ...(limit ? { limit } : {}) }
      return [...unwrap(await this.client.list(q), this.opened)] as ListedRun[]
    }
    const all = unwrap(await this.client.list(), this.opened)
    const runs: ListedRun[] = []
    for (const r of all) {
      // A createWorkflow run in a store that keeps a row for it (postgresStore): no workflow name.
      if (r.workflow !== '') runs.push(r)
      else runs.push(journalRun(r.runId, await this.load(r.runId), r.updatedAt))
    }
    for (const j of (await this.opened.journals?.()) ?? []) {
      runs.push(journalRun(j.runId, await this.load(j.runId), j.updatedAt))
    }
    const kept = runs.filter((r) => state === undefined || r.state === state).sort(newest)
    return limit === undefined ? kept : kept.slice(0, limit)
  }

  /** The run and its records; NOT_FOUND when the store has neither. */
  async get(runId: string): Promise<RunDetail> {
    const got = await this.client.get(runId)
    const info = got.isErr() && got.error._tag === 'RunNotFoundError' ? undefined : unwrap(got, this.opened)
    const records = await this.load(runId)
    const steps = records.filter((r) => r.seq >= 0).length
    if (info && info.workflow !== '') return { ...info, steps, records }
    const t = info?.updatedAt ?? (await this.opened.journalTime?.(runId))
    if (!info && t === undefined && records.length === 0) fail(EXIT.NOT_FOUND, `no run "${runId}" in this store`)
    return { ...journalRun(runId, records, t), records }
  }

  /**
   * The run's events to draw. A registered run whose records keep times: `client.history`.
   * Otherwise rebuilt from the records (their times where they have them); `timed` is false when
   * a step has none, so the caller can say that the drawing is not to scale.
   */
  async events(run: RunDetail): Promise<{ events: readonly WorkflowEvent[]; timed: boolean }> {
    const timed = run.records.every(
      // Only steps are drawn: the outcome and compensation markers (seq < 0) need no times.
      (r) => r.seq < 0 || (num(r.startedAt) !== undefined && num(r.endedAt) !== undefined),
    )
    if (isRegistered(run) && timed) {
      return { events: unwrap(await this.client.history(run.runId), this.opened), timed }
    }
    return { events: eventsFromRecords(run, timed), timed }
  }

  retry(runId: string) {
    return this.steer(runId, 'retry')
  }

  cancel(runId: string) {
    return this.steer(runId, 'cancel')
  }

  private async steer(runId: string, what: 'retry' | 'cancel'): Promise<RunInfo> {
    const run = await this.get(runId)
    if (!isRegistered(run)) {
      fail(
        EXIT.NOT_SUPPORTED,
        `run "${runId}" was written by createWorkflow, not started by a client: no worker runs it, so it cannot be ${what === 'retry' ? 'retried' : 'cancelled'} from here${what === 'retry' ? ' (run it again with createWorkflow(…, { store, runId, retry: true }))' : ''}`,
      )
    }
    if (what === 'retry') {
      const r = await this.client.retry(runId)
      if (r.isErr() && r.error._tag === 'InvalidOptionsError') {
        fail(EXIT.USAGE, `run "${runId}" is ${run.state}: only a failed or cancelled run can be retried`)
      }
      return unwrap(r, this.opened)
    }
    if (run.state === 'succeeded' || run.state === 'failed' || run.state === 'cancelled') {
      fail(EXIT.USAGE, `run "${runId}" has ended (${run.state}): there is nothing to cancel`)
    }
    return unwrap(await this.client.cancel(runId), this.opened)
  }
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)

/** A record's value as the workflow would see it (errors decoded), for display. */
export const recordValue = (r: StepRecord): unknown => {
  const x = fromRecord(r)
  return x.isOk() ? x.value : x.error
}

/**
 * Events rebuilt from a run's records: each step from its `startedAt`/`endedAt` when `timed`,
 * else laid out in order, one millisecond each. Names, kinds, attempts and groups come from the
 * records when they keep them.
 */
export function eventsFromRecords(run: RunDetail, timed: boolean): WorkflowEvent[] {
  const base = { runId: run.runId, workflow: run.workflow || run.runId }
  const steps = run.records
    .filter((r) => r.seq >= 0)
    .sort((a, b) => (timed ? (a.startedAt as number) - (b.startedAt as number) || a.seq - b.seq : a.seq - b.seq))
  const t0 = timed && steps.length > 0 ? Math.min(...steps.map((r) => r.startedAt as number)) : 0
  const events: WorkflowEvent[] = [{ ...base, type: 'workflow_start', ts: t0 }]
  let end = t0
  for (const [i, r] of steps.entries()) {
    const from = timed ? (r.startedAt as number) : i
    const to = timed ? (r.endedAt as number) : i + 1
    end = Math.max(end, to)
    const step = {
      ...base,
      stepId: `s${r.seq}`,
      name: r.name ?? r.key,
      kind: (r.kind ?? 'step') as StepKind,
      ...(r.parentSeq === undefined ? {} : { parentId: `s${r.parentSeq}` }),
      attempt: r.attempts ?? 1,
    }
    events.push({ ...step, type: 'step_start', ts: from })
    events.push(
      r.ok
        ? { ...step, type: 'step_success', ts: to, durationMs: to - from }
        : { ...step, type: 'step_error', ts: to, durationMs: to - from, error: recordValue(r) },
    )
  }
  const outcome = run.records.find((r) => r.seq === -1)
  if (outcome) {
    if (timed && num(outcome.endedAt) !== undefined) end = Math.max(end, outcome.endedAt as number)
    const done = { ...base, ts: end, durationMs: end - t0 }
    events.push(
      outcome.ok
        ? { ...done, type: 'workflow_success' }
        : { ...done, type: 'workflow_error', error: recordValue(outcome) },
    )
  }
  return events
}
