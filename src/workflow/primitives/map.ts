// `step.map(name, items, task, { concurrency, mode, chunkSize, key })`: one child per item (or per
// chunk of items). On a worker the children are runs any worker claims (zart's schedule_step +
// wait_all) and the parent waits off its worker; in process the task runs here.
import { err, ok, type Result } from 'neverthrow'
import { type CancelledError, InvalidOptionsError } from '../../errors.js'
import { runGroup } from '../../internal/group.js'
import { checkConcurrency, checkMode } from '../../internal/options.js'
import type { RegisteredWorkflow } from '../../runs/define.js'
import { checkJson } from '../../runs/json.js'
import type { TaskContext } from '../../types.js'
import { checkString, optionsOf } from '../options.js'
import type { LazyMethod, LazyStep, Saving, Start } from '../step.js'
import type { JsonValue, NewRun } from '../store/types.js'
import { type ChunkOutput, type DurableTask, isTask } from '../task.js'
import {
  childId,
  childStore,
  completionOrder,
  createMissing,
  deciding,
  ended,
  fromSettled,
  look,
  resultOf,
  revive,
  settledJson,
  suspend,
  type Unit,
} from './children.js'

type AnyResult = Result<unknown, unknown>
type Task = DurableTask<unknown, unknown, unknown>
type Workflow = RegisteredWorkflow<unknown, unknown, unknown>

/** A registered workflow (defineWorkflow) as a child: read inside the guard. */
const isWorkflow = (v: unknown): v is Workflow =>
  typeof (v as Workflow | null)?.name === 'string' && typeof (v as Workflow).body === 'function'

/** Settle mode's value (Results) as JSON data in the record, and back. */
const SETTLED: NonNullable<Saving['codec']> = {
  encode: (v) => (v as AnyResult[]).map(settledJson),
  decode: (j) => (revive(j) as unknown[]).map(fromSettled),
}

export const map: LazyMethod = (s, name, items, child, options) => {
  const o = optionsOf(options, 'options')
  const concurrency = o.concurrency as number | undefined
  const mode = (o.mode ?? 'fail-fast') as 'fail-fast' | 'settle'
  const chunkSize = (o.chunkSize ?? 1) as number
  const task = isTask(child) ? child : undefined
  const wf = task ? undefined : isWorkflow(child) ? child : undefined
  const bad =
    checkString('name', name) ??
    (Array.isArray(items) ? undefined : new InvalidOptionsError('items', items, 'an array of items')) ??
    (task || wf
      ? (child as Task).invalid
      : new InvalidOptionsError('task', child, 'a task made by defineTask, or a workflow made by defineWorkflow')) ??
    checkConcurrency('concurrency', concurrency) ??
    checkMode('mode', mode) ??
    (Number.isInteger(chunkSize) && chunkSize >= 1
      ? undefined
      : new InvalidOptionsError('chunkSize', chunkSize, 'an integer >= 1'))
  const list = bad ? [] : [...(items as unknown[])]
  const saving: Saving = mode === 'settle' ? { codec: SETTLED } : {}
  const key = o.key ?? s.name
  if (bad) return s.exec(s.name, 'map', () => {}, key, bad, saving, s.at)
  const store = childStore(s)
  // On a worker the items become child runs: they must be JSON data.
  const badItem = store ? checkJson('items', list) : undefined
  const start: Start =
    list.length === 0
      ? (_, done) => done(ok([]))
      : store
        ? onWorker(s, store, list, child as Task | Workflow, { concurrency, mode, chunkSize })
        : inProcess(s, list, task, wf, { concurrency, mode })
  return s.exec(s.name, 'map', start, key, badItem, saving, s.at)
}

interface MapOptions {
  readonly concurrency: number | undefined
  readonly mode: 'fail-fast' | 'settle'
}

/**
 * In process: the task runs here, at most `concurrency` at once. Fail-fast: the first err ends
 * the step and the items still running are aborted (their signal), the rest never start: work
 * must not outlive the step that settled. Settle: every item's Result, in input order.
 */
function inProcess(
  s: LazyStep,
  items: unknown[],
  task: Task | undefined,
  wf: Workflow | undefined,
  o: MapOptions,
): Start {
  const d = s.run.durable
  const runChild = (item: unknown, i: number, ctx: TaskContext) => {
    if (task) return task.fn(item, ctx)
    const w = wf as Workflow
    // A workflow child runs as a workflow of its own; with a store, durably, under its child id:
    // a resumed parent finds its finished children's outcomes there, and a retried (reopened)
    // parent runs its failed children again, as on a worker.
    const store = d?.store
    return import('../workflow.js').then(({ createWorkflow }) =>
      createWorkflow(w.deps, {
        name: w.name,
        signal: ctx.signal,
        ...(store ? { store, runId: childId(s.run.runId, s.at, i), retry: d?.reopened === true } : {}),
      })((step, deps) => w.body(step as never, deps, item)),
    )
  }
  const tasks = items.map((item, i) => (ctx: TaskContext) => runChild(item, i, ctx))
  return (_, done) => {
    const n = tasks.length
    const results: AnyResult[] = new Array(n)
    let left = n
    runGroup<unknown, unknown>(
      tasks,
      { concurrency: o.concurrency, signal: s.run.signal },
      (i, r) => {
        results[i] = r
        if (o.mode === 'fail-fast' && r.isErr()) {
          done(r)
          return true
        }
        if (--left > 0) return undefined
        done(ok(o.mode === 'settle' ? results : results.map((x) => x._unsafeUnwrap())))
        return true
      },
      (e: CancelledError) => done(err(e)),
    )
  }
}

/**
 * On a worker: one child run per unit, created as room frees up (at most `concurrency`
 * unfinished), then a look at them. Not done → suspended (the parent holds no slot; a child
 * ending wakes it). Done → the value, in input order. Fail-fast: the first child err in
 * completion order (the others run to their end, as zart's wait_all). On a retried parent the
 * failed children run again; finished ok children never do.
 */
function onWorker(
  s: LazyStep,
  store: NonNullable<ReturnType<typeof childStore>>,
  items: unknown[],
  child: Task | Workflow,
  o: MapOptions & { readonly chunkSize: number },
): Start {
  const parentId = s.run.runId
  const chunked = o.chunkSize > 1
  const units: Unit[] = []
  for (let i = 0, at = 0; at < items.length; i++, at += o.chunkSize) {
    const part = items.slice(at, at + o.chunkSize) as JsonValue[]
    const runId = childId(parentId, s.at, i)
    const input: JsonValue = chunked ? { $okflowChunk: part } : (part[0] as JsonValue)
    const create: NewRun = { runId, workflow: child.name, version: child.version, input, parentId }
    units.push({ runId, create })
  }
  // A chunk child that ended ok may hold failed items: fail-fast then needs every outcome.
  const eager = chunked && o.mode === 'fail-fast'
  const what = `children of map "${s.name}"`
  const decide = async (): Promise<AnyResult> => {
    let kids = await look(store, parentId, units, eager)
    // A retried parent's failed (or cancelled) children were put back to pending when its journal
    // was reopened (durable.ts): they run again; those that ended ok stay.
    if (o.mode === 'fail-fast') {
      for (const i of completionOrder(units, kids)) {
        let kid = kids.get((units[i] as Unit).runId)
        if (!kid) continue
        if (!chunked && kid.state === 'succeeded') continue
        if (!kid.outcome && kid.state === 'failed') {
          // Listed without outcomes (cheap for many children): read this one's from its journal.
          const outcome = (await store.load(kid.runId)).find((r) => r.seq === -1)
          if (outcome) kid = { ...kid, outcome }
        }
        const r = resultOf(kid)
        if (r.isErr()) return r
        const failed = (r.value as ChunkOutput).find((x) => !x.ok)
        if (failed) return err((failed as { error: unknown }).error)
      }
    }
    if (!units.every((u) => ended(kids.get(u.runId)))) {
      await createMissing(store, units, kids, o.concurrency ?? Number.POSITIVE_INFINITY)
      return suspend(what)
    }
    if (!eager) kids = await look(store, parentId, units, true)
    const flat: AnyResult[] = []
    units.forEach((u, i) => {
      const r = resultOf(kids.get(u.runId) as never)
      if (!chunked) {
        flat.push(r)
        return
      }
      // A chunk child that failed as a whole (cancelled, its task threw out of it) fails each of its items.
      const count = Math.min(o.chunkSize, items.length - i * o.chunkSize)
      if (r.isErr()) for (let k = 0; k < count; k++) flat.push(r)
      else for (const x of r.value as ChunkOutput) flat.push(x.ok ? ok(x.value) : err(x.error))
    })
    if (o.mode === 'settle') return ok(flat)
    const failed = flat.find((r) => r.isErr())
    return failed ?? ok(flat.map((r) => r._unsafeUnwrap()))
  }
  return deciding(parentId, decide)
}
