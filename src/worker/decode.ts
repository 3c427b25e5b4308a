import { err, ok, type Result } from 'neverthrow'
import { CancelledError, TaskFailedError, WorkerCrashedError } from '../errors.js'
import type { Envelope, TaggedPayload } from './envelope.js'

/** Rebuilds a tagged error as an `Error` with its tag, name, message, stack and plain fields. */
function rebuild(p: TaggedPayload): Error {
  const e = new Error(p.message)
  Object.assign(e, p.fields)
  Object.defineProperty(e, 'name', { value: p.name, enumerable: true, writable: true, configurable: true })
  Object.defineProperty(e, '_tag', { value: p.tag, enumerable: true, writable: true, configurable: true })
  if (p.stack !== undefined) e.stack = p.stack
  return e
}

/** Turns a worker's envelope back into a Result. */
export function decode(envelope: unknown): Result<unknown, unknown> {
  if (!Array.isArray(envelope)) {
    return err(
      new TaskFailedError(
        'InvalidWorkerModule',
        'The worker module did not answer with an okflow envelope: export defineWorkerTasks({...}) as its default export',
      ),
    )
  }
  const [kind, body] = envelope as unknown as Envelope
  switch (kind) {
    case 0:
      return ok(body)
    case 1:
      return err(body)
    case 2:
      return err(rebuild(body))
    default:
      return err(new TaskFailedError(body.name, body.message, body.stack))
  }
}

/** Maps a rejection from piscina (the thread died, or could not run the task) to a typed error. */
export function failure(e: unknown): WorkerCrashedError | TaskFailedError | CancelledError {
  const error = e instanceof Error ? e : new Error(String(e))
  if (error.name === 'AbortError') return new CancelledError(error.message)
  if (error.message.startsWith('No handler function exported')) {
    return new TaskFailedError('InvalidWorkerModule', error.message, error.stack)
  }
  const exit = /worker exited with code: (-?\d+)/.exec(error.message)
  if (exit) {
    const exitCode = Number(exit[1])
    return new WorkerCrashedError(`Worker thread exited with code ${exitCode} while running the task`, {
      exitCode,
      cause: error,
    })
  }
  if ((error as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new WorkerCrashedError(`Worker thread ran out of memory: ${error.message}`, { cause: error })
  }
  return new WorkerCrashedError(`Worker thread crashed: ${error.message}`, { cause: error })
}
