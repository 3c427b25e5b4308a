// `step.all/any/race` in a durable run on a worker (step.ts hands every such group here): over
// task calls (`task.with(input)`) each call becomes a child run any worker claims; the group
// decides from the children's results in completion order, as the in-process combinators do
// (all: fail-fast, any: first ok, race: first to settle), and records the decision with that
// order, so a replay picks the same winner whatever order the children end in the second time.
import { err, ok, type Result } from 'neverthrow'
import { AllFailedError, InvalidOptionsError } from '../../errors.js'
import { type Listed, reshape } from '../../internal/shape.js'
import { checkJson } from '../../runs/json.js'
import type { LazyStep, Saving, Start } from '../step.js'
import type { ChildRun, JsonValue } from '../store/types.js'
import { callInfo, type TaskCallInfo } from '../task.js'
import {
  callUnits,
  cancelUnfinished,
  childStore,
  completionOrder,
  createMissing,
  deciding,
  look,
  resultOf,
  revive,
  suspend,
  type Unit,
} from './children.js'

type AnyResult = Result<unknown, unknown>
type Kind = 'all' | 'any' | 'race'

/**
 * The task calls of a group's inputs: all of them (a list), none (undefined), or a mix, refused:
 * plain inputs cannot wait off the worker with the children.
 */
export function callsOf(listed: Listed): TaskCallInfo[] | undefined | InvalidOptionsError {
  const calls = listed.values.map(callInfo)
  const n = calls.filter((c) => c !== undefined).length
  if (n === 0) return undefined
  if (n < calls.length) {
    return new InvalidOptionsError('inputs', listed.values, 'task calls only, or no task calls (a group on a worker)')
  }
  const invalid = calls.find((c) => c?.invalid)?.invalid
  // Each call's input becomes a child run's input: JSON data.
  const notJson = calls.map((c, i) => checkJson(`inputs[${i}].input`, c?.input)).find((e) => e !== undefined)
  return invalid ?? notJson ?? (calls as TaskCallInfo[])
}

/** Ok decisions are saved with the completion order they were made from (for histories). */
const WITH_ORDER = (order: () => number[]): NonNullable<Saving['codec']> => ({
  encode: (v) => ({ value: v as JsonValue, order: order() }),
  decode: (j) => revive((j as { value: JsonValue }).value),
})

export function group(
  s: LazyStep,
  kind: Kind,
  listed: Listed,
  start: Start,
  key: unknown,
  o: Record<string, unknown>,
): Promise<never> {
  const calls = callsOf(listed)
  const store = childStore(s)
  if (calls === undefined || (!store && !(calls instanceof InvalidOptionsError))) {
    return s.exec(s.name, kind, start, key, undefined, {}, s.at)
  }
  const bad =
    calls instanceof InvalidOptionsError
      ? calls
      : o.timeoutMs !== undefined
        ? new InvalidOptionsError('timeoutMs', o.timeoutMs, 'no timeoutMs on a group of task calls on a worker')
        : undefined
  if (bad || !store) return s.exec(s.name, kind, () => {}, key, bad, {}, s.at)
  const units = callUnits(s, calls as TaskCallInfo[])
  let order: number[] = []
  const parentId = s.run.runId
  const decide = async (): Promise<AnyResult> => {
    const kids = await look(store, parentId, units, true)
    order = completionOrder(units, kids)
    const r = decision(kind, units, kids, order, listed)
    if (!r) {
      await createMissing(store, units, kids, (o.concurrency as number | undefined) ?? Number.POSITIVE_INFINITY)
      return suspend(`children of ${kind} "${s.name}"`)
    }
    // Nobody waits for the losers any more (in process they would be aborted): cancel them.
    await cancelUnfinished(store, units, kids)
    return r
  }
  return s.exec(s.name, kind, deciding(parentId, decide), key, undefined, { codec: WITH_ORDER(() => order) }, s.at)
}

/** The group's outcome from the children ended so far, in completion order; undefined: not yet. */
function decision(
  kind: Kind,
  units: readonly Unit[],
  kids: Map<string, ChildRun>,
  order: number[],
  listed: Listed,
): AnyResult | undefined {
  const result = (i: number) => resultOf(kids.get((units[i] as Unit).runId) as ChildRun)
  if (kind === 'race') return order.length > 0 ? result(order[0] as number) : undefined
  for (const i of order) {
    const r = result(i)
    if (kind === 'any' ? r.isOk() : r.isErr()) return r
  }
  if (order.length < units.length) return undefined
  if (kind === 'any') return err(new AllFailedError(units.map((_, i) => result(i)._unsafeUnwrapErr())))
  return ok(
    reshape(
      units.map((_, i) => result(i)._unsafeUnwrap()),
      listed.keys,
    ),
  )
}
