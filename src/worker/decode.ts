import { err, ok, type Result } from 'neverthrow'
import { TaskFailedError, WorkerCrashedError } from '../errors.js'
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

/** A task that could not be handed to a thread (an input or transfer list that cannot be cloned). */
export function unsendable(e: unknown): WorkerCrashedError {
  const error = e instanceof Error ? e : new Error(String(e))
  return new WorkerCrashedError(`Worker thread crashed: ${error.message}`, { cause: error })
}
