// The step methods loaded on first use (see `lazy` in step.ts): one file per primitive.
import { InvalidOptionsError } from '../../errors.js'
import type { StepKind } from '../events.js'
import { unreadable } from '../options.js'
import { type LazyKind, type LazyMethod, type LazyStep, NO_WORK } from '../step.js'
import { offload as offloadStep } from './offload.js'

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

/** Until a primitive is built, its step ends with an InvalidOptionsError (never a throw or a hang). */
const notYet =
  (kind: LazyKind): LazyMethod =>
  (s: LazyStep) =>
    s.exec(s.name, 'step', NO_WORK, s.name, new InvalidOptionsError('step', kind, 'a step method okflow has'), {}, s.at)

export const offload: LazyMethod = guarded('offload', offloadStep)
export const waitFor: LazyMethod = notYet('waitFor')
export const map: LazyMethod = notYet('map')
export const select: LazyMethod = notYet('select')
export const waitCompleted: LazyMethod = notYet('waitCompleted')

/** Compensation (compensate.ts): loaded with these, by a run that has steps to undo and failed. */
export { compensate } from '../compensate.js'
