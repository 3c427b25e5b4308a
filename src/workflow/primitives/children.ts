// Child runs of a durable run on a worker: how a step creates them, looks at them, reads their
// results in completion order, and waits for them off its worker (suspended, holding no slot).
// The one home of these rules for step.map, groups over task calls, select and waitCompleted.
import { err, ok, type Result } from 'neverthrow'
import { CancelledError, UnexpectedError } from '../../errors.js'
import type { LazyStep, Start } from '../step.js'
import { storeError } from '../store/failure.js'
import { fromRecord } from '../store/record.js'
import type { ChildRun, JsonValue, NewRun, RunQueue, RunStore } from '../store/types.js'
import { Suspended } from '../suspend.js'
import type { TaskCallInfo } from '../task.js'

type AnyResult = Result<unknown, unknown>

/** The store of a durable run on a worker, when it can hold child runs; else undefined. */
export function childStore(
  s: LazyStep,
): (RunStore & Required<Pick<RunQueue, 'createRuns' | 'listChildren'>>) | undefined {
  const d = s.run.durable
  if (d?.owned !== false) return undefined
  const store = d.store as Partial<RunStore>
  return typeof store?.createRuns === 'function' &&
    typeof store.listChildren === 'function' &&
    typeof store.requeue === 'function'
    ? (store as never)
    : undefined
}

/** The id of the child at `index` of the step at position `at`. */
export const childId = (runId: string, at: number, index: number): string => `${runId}/${at}.${index}`

/** The position of the step that made a child (`childId` read back). */
export const childPosition = (runId: string, id: string): number => Number.parseInt(id.slice(runId.length + 1), 10)

/** One child run as a step wants it: where it is, and how to create it if it is not there yet. */
export interface Unit {
  readonly runId: string
  /** Undefined for a bound task call (its run exists: it was created by an earlier step). */
  readonly create?: NewRun | undefined
}

/** The children of a step: listed by prefix (one listing per prefix), keyed by runId. */
export async function look(
  store: Required<Pick<RunQueue, 'listChildren'>>,
  parentId: string,
  units: readonly Unit[],
  outcomes: boolean,
): Promise<Map<string, ChildRun>> {
  const prefixes = new Set(units.map((u) => u.runId.slice(0, u.runId.lastIndexOf('.') + 1)))
  const seen = new Map<string, ChildRun>()
  for (const prefix of prefixes) {
    for (const c of await store.listChildren(parentId, { prefix, outcomes })) seen.set(c.runId, c)
  }
  return seen
}

export const ended = (c: ChildRun | undefined): c is ChildRun =>
  c !== undefined && (c.state === 'succeeded' || c.state === 'failed' || c.state === 'cancelled')

/** A child's Result: its outcome record, or what its end without one means. */
export function resultOf(c: ChildRun): AnyResult {
  if (c.outcome) return fromRecord(c.outcome, undefined, c.runId)
  if (c.state === 'cancelled') return err(new CancelledError(`child run "${c.runId}" was cancelled`))
  return err(new UnexpectedError(`child run "${c.runId}" ${c.state} without an outcome`))
}

/** Indexes of the ended units, in completion order (the store's end time; ties by position). */
export function completionOrder(units: readonly Unit[], kids: Map<string, ChildRun>): number[] {
  const order: number[] = []
  for (let i = 0; i < units.length; i++) if (ended(kids.get((units[i] as Unit).runId))) order.push(i)
  const at = (i: number) => kids.get((units[i] as Unit).runId)?.endedAt ?? 0
  return order.sort((a, b) => at(a) - at(b) || a - b)
}

/**
 * Creates the units not created yet, in position order, so that at most `concurrency` are
 * unfinished at once (createRuns is idempotent: one a crash left half-made is made again).
 */
export async function createMissing(
  store: Required<Pick<RunQueue, 'createRuns'>>,
  units: readonly Unit[],
  kids: Map<string, ChildRun>,
  concurrency: number,
): Promise<void> {
  let unfinished = 0
  for (const u of units) if (kids.has(u.runId) && !ended(kids.get(u.runId))) unfinished++
  const runs: NewRun[] = []
  for (const u of units) {
    if (unfinished + runs.length >= concurrency) break
    if (u.create && !kids.has(u.runId)) runs.push(u.create)
  }
  if (runs.length > 0) await store.createRuns(runs)
}

/** Waits off the worker until a child ends (the store wakes the parent then). */
export const suspend = (what: string): AnyResult => err(new Suspended(undefined, what))

/**
 * The work of a step that decides from its children: `decide` looks at them and answers the
 * step's Result (or a suspension). A store failure while it looks becomes a StoreError: the run
 * is handed back and tries again later.
 */
export const deciding =
  (runId: string, decide: () => Promise<AnyResult>): Start =>
  (_, done) => {
    decide().then(done, (e: unknown) => done(err(storeError('queue', runId, e))))
  }

/** The units of task calls: bound calls attach to their runs, the others get `${runId}/${at}.${i}`. */
export function callUnits(s: LazyStep, calls: readonly TaskCallInfo[]): Unit[] {
  const parentId = s.run.runId
  return calls.map((c, i) =>
    c.runId !== undefined
      ? { runId: c.runId }
      : {
          runId: childId(parentId, s.at, i),
          create: { runId: childId(parentId, s.at, i), workflow: c.task, version: c.version, input: c.input, parentId },
        },
  )
}

/** Asks the store to cancel children nobody waits for any more (a group's losers); best effort. */
export async function cancelUnfinished(
  store: Pick<RunQueue, 'requestCancel'>,
  units: readonly Unit[],
  kids: Map<string, ChildRun>,
  keep: ReadonlySet<number> = new Set(),
): Promise<void> {
  const ids = units.filter((u, i) => !keep.has(i) && kids.has(u.runId) && !ended(kids.get(u.runId)))
  await Promise.all(ids.map((u) => store.requestCancel(u.runId).catch(() => undefined)))
}

/** A Result as JSON data for a record (the error is encoded by the record, as any error). */
export const settledJson = (r: AnyResult): JsonValue =>
  (r.isOk() ? { ok: true, value: r.value } : { ok: false, error: r.error }) as JsonValue

/** A settled JSON entry back as a Result. */
export const fromSettled = (j: unknown): AnyResult => {
  const x = j as { ok: boolean; value?: unknown; error?: unknown }
  return x.ok ? ok(x.value) : err(x.error)
}

/** JSON from a record (read through a step's codec) with its errors revived as Errors. */
export const revive = (j: JsonValue): unknown => fromRecord({ seq: 0, key: '', ok: true, value: j })._unsafeUnwrap()
