// `step.waitCompleted(name, inputs)` (Restate's wait_completed) and the looking both it and
// `step.select` do: which inputs have finished, in completion order, and the others. In process
// the `waitCompleted` combinator runs the inputs; on a worker, task calls are child runs. The
// decision is recorded (with the completion order), so a replay answers the same split.
import { ok, type Result, ResultAsync } from 'neverthrow'
import { waitCompleted as waitCompletedOf } from '../../combinators/wait-completed.js'
import { InvalidOptionsError } from '../../errors.js'
import { onAbort } from '../../internal/abort.js'
import { listInputs } from '../../internal/shape.js'
import type { AnyInput, TaskContext } from '../../types.js'
import { checkString, optionsOf } from '../options.js'
import type { LazyMethod, LazyStep, Saving, Start } from '../step.js'
import type { JsonValue } from '../store/types.js'
import { callInfo, TASK_CALL, type TaskCallInfo } from '../task.js'
import {
  callUnits,
  childStore,
  completionOrder,
  createMissing,
  deciding,
  fromSettled,
  look,
  resultOf,
  revive,
  settledJson,
  suspend,
} from './children.js'
import { callsOf } from './group.js'

type AnyResult = Result<unknown, unknown>

/** What the inputs looked like when the step decided: finished (in completion order) and the rest. */
export interface Split {
  readonly completed: { readonly index: number; readonly result: AnyResult }[]
  /** Every other input, in input order: still running (or, for select, finished after the first). */
  readonly rest: AnyInput[]
}

/** A split as JSON for the record: who finished, in which order, with which result. */
interface SplitJson {
  readonly completed: { readonly index: number; readonly result: JsonValue }[]
}

/**
 * Looks at `inputs` once at least one has finished. `first`: only the first counts as completed
 * (select); the others are all `rest`. `shape` makes the step's value of the split.
 */
export function completion(
  s: LazyStep,
  kind: 'select' | 'waitCompleted',
  name: unknown,
  inputs: unknown,
  options: unknown,
  shape: (split: Split) => unknown,
): Promise<never> {
  const o = optionsOf(options, 'options')
  const key = o.key ?? s.name
  const listed = listInputs(inputs)
  const first = kind === 'select'
  const bad =
    checkString('name', name) ??
    (listed instanceof InvalidOptionsError || listed.keys
      ? new InvalidOptionsError('inputs', inputs, 'an array of inputs')
      : first && listed.values.length === 0
        ? new InvalidOptionsError('inputs', inputs, 'at least one input')
        : undefined)
  if (bad || listed instanceof InvalidOptionsError) return s.exec(s.name, kind, () => {}, key, bad, {}, s.at)
  const values = listed.values
  const store = childStore(s)
  const calls = store ? callsOf(listed) : undefined
  if (calls instanceof InvalidOptionsError) return s.exec(s.name, kind, () => {}, key, calls, {}, s.at)
  // How a replay rebuilds the rest: on a worker, calls bound to their child runs; in process,
  // the inputs as given (a recorded split never ran them here).
  const units = store && calls ? callUnits(s, calls) : undefined
  const restOf = (i: number) => (units ? bind(values[i] as AnyInput, (units[i] as { runId: string }).runId) : values[i])
  let order: number[] = []
  const codec: NonNullable<Saving['codec']> = {
    encode: (v) => {
      const value = v as { index?: number; result?: AnyResult; completed?: Split['completed'] }
      const completed = first ? [{ index: value.index as number, result: value.result as AnyResult }] : value.completed
      const json = { completed: (completed ?? []).map((c) => ({ index: c.index, result: settledJson(c.result) })) }
      // select: every input ended when it decided, in completion order (for histories).
      return first ? { ...json, order } : json
    },
    decode: (j) => {
      const split = revive(j) as SplitJson
      const completed = split.completed.map((c) => ({ index: c.index, result: fromSettled(c.result) }))
      const done = new Set(completed.map((c) => c.index))
      const rest = values.flatMap((_, i) => (done.has(i) ? [] : [restOf(i) as AnyInput]))
      return shape({ completed, rest })
    },
  }
  const answer = (split: Split): AnyResult => ok(shape(split))
  let start: Start
  if (values.length === 0) start = (_, done) => done(answer({ completed: [], rest: [] }))
  else if (store && units) {
    const parentId = s.run.runId
    const decide = async (): Promise<AnyResult> => {
      const kids = await look(store, parentId, units, true)
      order = completionOrder(units, kids)
      if (order.length === 0) {
        await createMissing(store, units, kids, Number.POSITIVE_INFINITY)
        return suspend(`children of ${kind} "${s.name}"`)
      }
      const taken = first ? order.slice(0, 1) : order
      const completed = taken.map((i) => ({ index: i, result: resultOf(kids.get(units[i]?.runId ?? '') as never) }))
      const done = new Set(taken)
      const rest = values.flatMap((_, i) => (done.has(i) ? [] : [restOf(i) as AnyInput]))
      return answer({ completed, rest })
    }
    start = deciding(parentId, decide)
  } else {
    start = (_, done) => {
      // Aborting the run's signal cancels the inputs still pending: nothing outlives the run.
      waitCompletedOf(values as AnyInput[], { signal: s.run.signal }).then((r) => {
        if (r.isErr()) return done(r)
        const { completed, pending } = r.value
        const taken = first ? completed.slice(0, 1) : completed
        order = completed.map((c) => c.index)
        const byIndex = new Map<number, AnyInput>()
        for (const p of pending) byIndex.set(p.index, p as unknown as AnyInput)
        // For select, inputs that finished in the same turn after the first are rest too, settled.
        for (const c of completed.slice(taken.length)) byIndex.set(c.index, settled(c.result))
        const rest = [...byIndex.keys()]
          .sort((a, b) => a - b)
          .map((i) => running(values[i] as AnyInput, byIndex.get(i)))
        done(answer({ completed: taken.map((c) => ({ index: c.index, result: c.result })), rest }))
      })
    }
  }
  return s.exec(s.name, kind, start, key, undefined, { codec }, s.at)
}

const settled = (r: AnyResult): AnyInput => new ResultAsync(Promise.resolve(r)) as unknown as AnyInput

/**
 * An input that is already running, in the shape it was given: a task (a function) stays a
 * task, which answers the running one's result (and cancels it if its own signal aborts); a
 * task call keeps its call info. Anything else is the running ResultAsync itself.
 */
function running(input: AnyInput, p: AnyInput | undefined): AnyInput {
  if (typeof input !== 'function') return p as AnyInput
  const pending = p as unknown as ResultAsync<unknown, unknown> & { cancel?: (reason?: unknown) => void }
  const task = (ctx: TaskContext) => {
    const off = onAbort(ctx.signal, () => pending.cancel?.(ctx.signal.reason))
    return pending.then((r) => {
      off()
      return r
    })
  }
  const info = callInfo(input)
  return (info ? Object.defineProperty(task, TASK_CALL, { value: info }) : task) as AnyInput
}

/** A task call bound to its child run: a later group over it attaches to that run. */
function bind(input: AnyInput, runId: string): AnyInput {
  const info = callInfo(input) as TaskCallInfo
  const call = (ctx: TaskContext) => (input as (ctx: TaskContext) => unknown)(ctx)
  return Object.defineProperty(call, TASK_CALL, { value: { ...info, runId } }) as unknown as AnyInput
}

export const waitCompleted: LazyMethod = (s, name, inputs, options) =>
  completion(s, 'waitCompleted', name, inputs, options, ({ completed, rest }) => ({ completed, pending: rest }))
