// The runner inside each thread of `createWorkerPool` (built as dist/thread.js and dist/thread.cjs).
// It imports the tasks module named in `workerData`, then runs the tasks the pool posts on its
// private port, one at a time and in the order they came, answering each with `[id, outcome]`
// (outcome null for one the pool cancelled before it started).
//
// Each task carries a slot in a small SharedArrayBuffer shared with the pool (states.ts): the
// runner claims it (SENT → STARTED) before calling the task and marks it ANSWERED before answering.
// So the pool knows, without a message, whether a task it sent ahead has started: one that has not
// can be taken back (cancelled, run elsewhere after a crash, taken over by an idle thread) and is
// sure never to start here.
import { workerData } from 'node:worker_threads'
import {
  type Answer,
  type Outcome,
  READY_ID,
  type TaskMessage,
  type ThreadData,
  encodeThrown as thrown,
} from './protocol.js'
import { ANSWERED, SENT, STARTED } from './states.js'

type Handler = (payload: TaskMessage) => unknown

const { url, state, port } = workerData as ThreadData
const slots = new Int32Array(state)
const backlog: TaskMessage[] = []
let head = 0
let busy = true // until the tasks module is loaded
let handler: Handler = () => undefined

/**
 * Waits until what tasks wrote to stdout/stderr has reached the main thread (as piscina does), so
 * nothing printed before an answer is lost when the pool then stops this thread. Free when the
 * streams are empty, which is the common case.
 */
function flushed(): Promise<unknown> | undefined {
  const out = process.stdout
  const errs = process.stderr
  if (out.writableLength === 0 && errs.writableLength === 0) return undefined
  const wait = (s: NodeJS.WriteStream) =>
    s.writableLength === 0 ? undefined : new Promise<void>((resolve) => s.write('', () => resolve()))
  return Promise.all([wait(out), wait(errs)])
}

const post = (id: number, outcome: Outcome): void => {
  const answer: Answer = [id, outcome]
  try {
    const list = outcome[0] === 0 ? outcome[2] : undefined
    if (list === undefined) port.postMessage(answer)
    else port.postMessage(answer, list as never)
  } catch (e) {
    // The task returned something that cannot be cloned (a function, say).
    port.postMessage([id, thrown(e)] satisfies Answer)
  }
}

/** Answers a task, after its console output has been handed over; then runs the next one. */
const answer = (slot: number, id: number, outcome: unknown): boolean => {
  const wait = flushed()
  if (wait === undefined) {
    Atomics.store(slots, slot, ANSWERED)
    post(id, outcome as Outcome)
    return false
  }
  busy = true
  wait.then(() => {
    Atomics.store(slots, slot, ANSWERED)
    post(id, outcome as Outcome)
    busy = false
    drain()
  })
  return true
}

const drain = (): void => {
  while (head < backlog.length) {
    const task = backlog[head++] as TaskMessage
    if (head === backlog.length) {
      backlog.length = 0
      head = 0
    }
    const slot = task[2]
    const id = task[3]
    if (Atomics.compareExchange(slots, slot, SENT, STARTED) !== SENT) {
      port.postMessage([id, null] satisfies Answer) // cancelled before it started
      continue
    }
    let out: unknown
    try {
      out = handler(task)
    } catch (e) {
      out = thrown(e)
    }
    if (typeof (out as PromiseLike<unknown> | null)?.then === 'function') {
      busy = true
      Promise.resolve(out).then(
        (outcome) => {
          busy = false
          if (!answer(slot, id, outcome)) drain()
        },
        (e: unknown) => {
          busy = false
          if (!answer(slot, id, thrown(e))) drain()
        },
      )
      return
    }
    if (answer(slot, id, out)) return
  }
}

port.on('message', (task: TaskMessage) => {
  backlog.push(task)
  if (!busy) drain()
})

const loaded = (): void => {
  // What the module printed while loading reaches the main thread before its first answer too.
  const wait = flushed()
  if (wait !== undefined) {
    wait.then(loaded)
    return
  }
  port.postMessage([READY_ID, null] satisfies Answer)
  busy = false
  drain()
}

import(url).then(
  (mod: { default?: unknown }) => {
    let fn = mod.default
    // A CommonJS module that sets `exports.default` arrives wrapped once more.
    if (typeof fn !== 'function') fn = (fn as { default?: unknown } | undefined)?.default
    if (typeof fn === 'function') {
      handler = fn as Handler
    } else {
      const bad = thrown({
        name: 'InvalidWorkerModule',
        message: `No handler function exported from ${url}: export defineWorkerTasks({...}) as its default export`,
      })
      handler = () => bad
    }
    loaded()
  },
  (e: unknown) => {
    const bad = thrown(e)
    handler = () => bad
    loaded()
  },
)
