// Main side: an answer's outcome back into a Result, and the errors of a dead or unreachable thread.
import { err, ok, type Result } from 'neverthrow'
import { DataCloneError, TaskFailedError, WorkerCrashedError } from '../errors.js'
import { ERR, OK, type Outcome, TAGGED, type TaggedPayload } from './protocol.js'

/** Rebuilds a tagged error as an `Error` with its tag, name, message, stack and plain fields. */
function rebuild(p: TaggedPayload): Error {
  const e = new Error(p.message)
  Object.assign(e, p.fields)
  Object.defineProperty(e, 'name', { value: p.name, enumerable: true, writable: true, configurable: true })
  Object.defineProperty(e, '_tag', { value: p.tag, enumerable: true, writable: true, configurable: true })
  if (p.stack !== undefined) e.stack = p.stack
  return e
}

/**
 * Where `pool.run` was called from: a few frames captured at the call, appended to the stack of a
 * task's error so the caller's own frame stays visible (the answer arrives on a fresh stack).
 */
export type CallSite = { stack?: string }

const SITE_FRAMES = 1

/** Captures the frames above `below` (the public `run`), cheaply: only a few of them. */
export function callSite(below: (...args: never[]) => unknown): CallSite {
  const site: CallSite = {}
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = SITE_FRAMES
  Error.captureStackTrace(site, below)
  Error.stackTraceLimit = limit
  return site
}

function withSite(e: Error, site: CallSite | undefined): Error {
  const frames = site?.stack
  if (frames === undefined) return e
  const at = frames.indexOf('\n')
  if (at >= 0) e.stack = `${e.stack ?? `${e.name}: ${e.message}`}\n    --- pool.run called ---${frames.slice(at)}`
  return e
}

/** Turns a thread's outcome back into a Result. */
export function decode(outcome: unknown, site: CallSite | undefined): Result<unknown, unknown> {
  if (!Array.isArray(outcome)) {
    return err(
      withSite(
        new TaskFailedError(
          'InvalidWorkerModule',
          'The worker module did not answer with an okflow outcome: export defineWorkerTasks({...}) as its default export',
        ),
        site,
      ),
    )
  }
  const [kind, body] = outcome as unknown as Outcome
  switch (kind) {
    case OK:
      return ok(body)
    case ERR:
      return err(body)
    case TAGGED:
      return err(rebuild(body))
    default:
      return err(withSite(new TaskFailedError(body.name, body.message, body.stack), site))
  }
}

/** The error of a task whose thread died under it: `error` is what the thread's `error` event gave, if any. */
export function crashed(error: Error | undefined, exitCode: number): WorkerCrashedError {
  if (error === undefined) {
    return new WorkerCrashedError(`Worker thread exited with code ${exitCode} while running the task`, { exitCode })
  }
  if ((error as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new WorkerCrashedError(`Worker thread ran out of memory: ${error.message}`, { cause: error })
  }
  return new WorkerCrashedError(`Worker thread crashed: ${error.message}`, { cause: error })
}

/** A task sent ahead with a transfer list whose thread died before starting it: its input is gone. */
export function lostTransfer(error: Error | undefined, exitCode: number): WorkerCrashedError {
  const why = error === undefined ? `exited with code ${exitCode}` : `crashed: ${error.message}`
  return new WorkerCrashedError(
    `Worker thread ${why} before the task started; its input had been moved there (transfer), so it could not run elsewhere`,
    error === undefined ? { exitCode } : { cause: error },
  )
}

/** A thread that could not be started at all (the `Worker` constructor threw). */
export function unstartable(e: unknown): WorkerCrashedError {
  const error = e instanceof Error ? e : new Error(String(e))
  return new WorkerCrashedError(`Worker thread could not start: ${error.message}`, { cause: error })
}

/** A task whose input or transfer list cannot be cloned: no thread saw it, and the thread stays. */
export function uncloneable(e: unknown): DataCloneError {
  const message = e instanceof Error ? e.message : String(e)
  return new DataCloneError(`The task's input cannot be sent to a worker thread: ${message}`, { cause: e })
}
