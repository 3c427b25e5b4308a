// The runner inside each thread of `createWorkerPool` (built as dist/thread.js and dist/thread.cjs).
// It imports the tasks module named in `workerData`, then runs the tasks the pool posts, one at a
// time and in the order they came, answering each with its envelope (or `null` for one the pool
// cancelled before it started). The pool matches answers to tasks by that order.
//
// Each task carries a slot in a small SharedArrayBuffer shared with the pool: the runner claims it
// (SENT → STARTED) before calling the task and marks it DONE before answering. So the pool knows,
// without a message, whether a task it sent ahead has started: one that has not can be taken back
// (cancelled, or run elsewhere after a crash) and is sure never to start here.
import { parentPort, workerData } from 'node:worker_threads'
import { DONE, SENT, STARTED, type TaskMessage, type ThreadData, encodeThrown as thrown } from './protocol.js'

type Handler = (payload: TaskMessage) => unknown

const port = parentPort
const { url, state } = workerData as ThreadData
const slots = new Int32Array(state)
const backlog: TaskMessage[] = []
let head = 0
let busy = true // until the tasks module is loaded
let handler: Handler = () => undefined

const answer = (slot: number, envelope: unknown): void => {
  Atomics.store(slots, slot, DONE)
  try {
    port?.postMessage(envelope)
  } catch (e) {
    // The task returned something that cannot be cloned (a function, say).
    port?.postMessage(thrown(e))
  }
}

const drain = (): void => {
  while (head < backlog.length) {
    const task = backlog[head++] as TaskMessage
    if (head === backlog.length) {
      backlog.length = 0
      head = 0
    }
    const slot = task[2]
    if (Atomics.compareExchange(slots, slot, SENT, STARTED) !== SENT) {
      port?.postMessage(null) // cancelled before it started
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
        (envelope) => {
          answer(slot, envelope)
          busy = false
          drain()
        },
        (e: unknown) => {
          answer(slot, thrown(e))
          busy = false
          drain()
        },
      )
      return
    }
    answer(slot, out)
  }
}

port?.on('message', (task: TaskMessage) => {
  backlog.push(task)
  if (!busy) drain()
})

import(url).then(
  (mod: { default?: unknown }) => {
    let fn = mod.default
    // A CommonJS module that sets `exports.default` arrives wrapped once more.
    if (typeof fn !== 'function') fn = (fn as { default?: unknown } | undefined)?.default
    if (typeof fn === 'function') {
      handler = fn as Handler
    } else {
      const bad: unknown = [
        3,
        {
          name: 'InvalidWorkerModule',
          message: `No handler function exported from ${url}: export defineWorkerTasks({...}) as its default export`,
          stack: undefined,
        },
      ]
      handler = () => bad
    }
    busy = false
    drain()
  },
  (e: unknown) => {
    const bad = thrown(e)
    handler = () => bad
    busy = false
    drain()
  },
)
