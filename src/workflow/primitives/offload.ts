import { InvalidOptionsError } from '../../errors.js'
import type { WorkerTaskMap, WorkerTasks } from '../../worker/define.js'
import type { WorkerPool } from '../../worker/pool.js'
import { checkString, optionsOf } from '../options.js'
import { type LazyMethod, must, relabel, type Start } from '../step.js'

/** `step.offload(name, pool, task, input, opts)`: a worker-pool task as a step. */
export const offload: LazyMethod = (s, name, pool, task, input, options) => {
  const { key, ...runOpts } = optionsOf(options, 'options')
  let run1: unknown
  try {
    run1 = (pool as WorkerPool<never> | null)?.run
  } catch {
    // A Proxy is no pool.
  }
  must(
    checkString('name', name),
    typeof run1 === 'function' ? undefined : new InvalidOptionsError('pool', pool, 'a worker pool'),
    checkString('task', task),
  )
  const start: Start = (_, done) => {
    ;(pool as WorkerPool<WorkerTasks<WorkerTaskMap>>)
      .run(task as string, input as never, { ...runOpts, signal: s.run.signal })
      // The pool names its timeouts after the task; a step's are named after the step.
      .then((r) => done(relabel(r, task, s.name)))
  }
  return s.exec(s.name, 'offload', start, key ?? s.name, undefined, {}, s.at)
}
