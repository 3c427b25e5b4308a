// The step methods loaded on first use (see `lazy` in step.ts): one file per primitive.
import type { StepKind } from '../events.js'
import { unreadable } from '../options.js'
import { type LazyMethod, NO_WORK } from '../step.js'
import { map as mapStep } from './map.js'
import { offload as offloadStep } from './offload.js'
import { select as selectStep } from './select.js'
import { sleep as sleepStep } from './sleep.js'
import { waitFor as waitForStep } from './wait.js'
import { waitCompleted as waitCompletedStep } from './wait-completed.js'

export { group } from './group.js'

/**
 * A primitive whose checks may throw an InvalidOptionsError (or meet a throwing getter): the step
 * then ends with it, at its position, never a throw out of `step`.
 */
export const guarded =
  (kind: StepKind, method: LazyMethod): LazyMethod =>
  (s, name, a, b, c, d) => {
    try {
      return method(s, name, a, b, c, d)
    } catch (e) {
      return s.exec(s.name, kind, NO_WORK, '-', unreadable(e, 'options'), {}, s.at)
    }
  }

export const offload: LazyMethod = guarded('offload', offloadStep)
export const waitFor: LazyMethod = guarded('waitFor', waitForStep)
export const sleep: LazyMethod = guarded('sleep', sleepStep)
export const map: LazyMethod = guarded('map', mapStep)
export const select: LazyMethod = guarded('select', selectStep)
export const waitCompleted: LazyMethod = guarded('waitCompleted', waitCompletedStep)

/** Compensation (compensate.ts): loaded with these, by a run that has steps to undo and failed. */
export { compensate } from '../compensate.js'
