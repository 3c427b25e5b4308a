// What the Postgres benchmarks (postgres.bench.mjs, children.bench.mjs) share: medians of quick
// calls, ranges over repeated processes, and worker processes started and stopped.
import { fork } from 'node:child_process'

/**
 * Median ms per op of each case, samples of at least `minMs` each, cases interleaved round by
 * round (no gc between samples). Resolves to `{ [name]: ms }`.
 */
export async function medians(cases, { rounds = 7, minMs = 60, warmup = 3 } = {}) {
  for (const c of cases) for (let i = 0; i < warmup; i++) await c.fn()
  const samples = new Map(cases.map((c) => [c.name, []]))
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(k + r) % cases.length]
      let ops = 0
      const t0 = performance.now()
      let t = t0
      while (t - t0 < minMs) {
        await c.fn()
        ops++
        t = performance.now()
      }
      samples.get(c.name).push((t - t0) / ops)
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
  return Object.fromEntries(cases.map((c) => [c.name, median(samples.get(c.name))]))
}

/** `lo–hi` of `xs`, each formatted by `f` (one value when they are equal). */
export const range = (xs, f) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[0] === s[s.length - 1] ? f(s[0]) : `${f(s[0])}–${f(s[s.length - 1])}`
}

/** Runs this script (`self`) with `args` in `n` fresh processes, one after another: the message each sends. */
export async function inProcesses(self, args, n = 3) {
  const out = []
  for (let i = 0; i < n; i++) {
    out.push(
      await new Promise((resolve, reject) => {
        const c = fork(self, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
        c.once('message', resolve)
        c.once('exit', (code) => code !== 0 && reject(new Error(`bench child exited with ${code}`)))
      }),
    )
  }
  return out
}

/** Starts `n` worker processes of `file`; resolves once each has said it is ready (its first message). */
export function startWorkers(file, args, n) {
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise((resolve) => {
          const c = fork(file, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
          c.once('message', () => resolve(c))
        }),
    ),
  )
}

/** SIGTERM to each worker process; resolves when all have exited. */
export function stopWorkers(kids) {
  return Promise.all(
    kids.map(
      (c) =>
        new Promise((resolve) => {
          c.once('exit', resolve)
          c.kill('SIGTERM')
        }),
    ),
  )
}
