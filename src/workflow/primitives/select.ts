// `step.select(name, inputs)`: the first input to settle, with its index; `rest` = the others,
// still running (on a worker: task calls bound to their child runs). Recorded: a replay picks
// the same winner whatever order the inputs settle in the second time.
import type { LazyMethod } from '../step.js'
import { completion } from './wait-completed.js'

export const select: LazyMethod = (s, name, inputs, options) =>
  completion(s, 'select', name, inputs, options, ({ completed, rest }) => ({
    index: completed[0]?.index ?? -1,
    result: completed[0]?.result,
    rest,
  }))
