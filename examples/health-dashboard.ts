// A health dashboard: check services in parallel four ways.
//   1. allAsync        — fail-fast: the first service down answers at once, the other checks are aborted
//   2. allSettledAsync — a full report: wait for every check, list each one that failed and why
//   3. anyAsync        — the fastest healthy mirror wins, the slower mirrors are aborted
//   4. raceAsync       — a check raced against a deadline: whichever settles first wins, the other is aborted
// The services are fakes that honour their AbortSignal the way fetch does.
// Run: npm run example -- health-dashboard

import {
  allAsync,
  allSettledAsync,
  anyAsync,
  err,
  ok,
  type Result,
  raceAsync,
  type TaskContext,
  TimeoutError,
  withTimeout,
} from 'okflow'
import { match } from 'ts-pattern'

class ServiceDown extends Error {
  readonly _tag = 'ServiceDown' as const
  constructor(readonly service: string) {
    super(`${service} is down`)
  }
}

interface Health {
  service: string
  latencyMs: number
}

const aborted: string[] = []

/** A fake health check: answers after `ms` (up, or down), or stops early when its signal aborts. */
function check(service: string, ms: number, up = true) {
  return ({ signal }: TaskContext): Promise<Result<Health, ServiceDown>> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(up ? ok({ service, latencyMs: ms }) : err(new ServiceDown(service))), ms)
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer)
          aborted.push(service)
          console.log(`   ↳ ${service}: aborted`)
        },
        { once: true },
      )
    })
}

const started = performance.now()
const elapsed = () => Math.round(performance.now() - started)

// 1. Fail-fast: "is everything up?" needs only the first failure.
console.log('1. allAsync (fail-fast)')
let t0 = elapsed()
const all = await allAsync({
  database: check('database', 300),
  cache: check('cache', 20, false),
  search: check('search', 400),
})
console.log(
  all.match(
    (h) => `   all up: ${Object.keys(h).join(', ')}`,
    (e) => `   not healthy: ${e.message} (answered in ${elapsed() - t0} ms, without waiting for the slow checks)`,
  ),
)

// 2. Settle: a report of every service, each check with its own time limit.
console.log('2. allSettledAsync (report)')
/** A check with its own time limit: a hung service becomes a TimeoutError naming it, and is aborted. */
const limited =
  (service: string, ms: number, up = true) =>
  (ctx: TaskContext) =>
    withTimeout(check(service, ms, up), 100, { signal: ctx.signal, label: service })
const checks = {
  database: limited('database', 15),
  cache: limited('cache', 10, false),
  search: limited('search', 25),
  payments: limited('payments', 2_000), // hangs
  email: limited('email', 5),
}
const report = await allSettledAsync(checks)
// ok → every service is up; err → the failures only (key + error), in input order.
const down = report.match(
  () => [],
  (failures) =>
    Array.isArray(failures)
      ? failures.map(({ key, error }) => {
          const why = match(error)
            .with({ _tag: 'ServiceDown' }, () => 'DOWN')
            .with({ _tag: 'TimeoutError' }, (e) => `NO ANSWER within ${e.ms} ms`)
            .otherwise((e) => `ERROR ${e.message}`)
          return { key, why }
        })
      : [{ key: 'all', why: failures.message }],
)
for (const name of Object.keys(checks)) {
  const failure = down.find((d) => d.key === name)
  console.log(`   ${name.padEnd(9)} ${failure ? failure.why : 'up'}`)
}
console.log(`   ${down.length} of ${Object.keys(checks).length} services need attention`)

// 3. Any: download from whichever mirror answers first with a good copy.
console.log('3. anyAsync (fastest healthy mirror)')
const mirror = await anyAsync([
  check('mirror-eu', 60),
  check('mirror-us', 10, false), // fastest, but broken: anyAsync keeps waiting for an ok
  check('mirror-ap', 25),
  check('mirror-sa', 500),
])
console.log(
  mirror.match(
    (h) => `   winner: ${h.service} in ${h.latencyMs} ms`,
    (e) => `   every mirror failed: ${e.message}`,
  ),
)

// 4. Race against a deadline: the first to settle decides, ok or err.
console.log('4. raceAsync (check vs deadline)')
/** A deadline as a task: settles with TimeoutError after `ms` unless the race is decided first. */
const deadline =
  (ms: number) =>
  ({ signal }: TaskContext): Promise<Result<never, TimeoutError>> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(err(new TimeoutError(ms, 'health check'))), ms)
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer)
          aborted.push(`deadline ${ms} ms`)
          console.log(`   ↳ deadline ${ms} ms: aborted`)
        },
        { once: true },
      )
    })
for (const [service, ms] of [
  ['search', 20],
  ['reports', 1_000],
] as const) {
  t0 = elapsed()
  const raced = await raceAsync([check(service, ms), deadline(80)])
  console.log(
    raced.match(
      (h) => `   ${h.service} answered in ${h.latencyMs} ms`,
      (e) => `   ${service}: ${e.message} (after ~${elapsed() - t0} ms)`,
    ),
  )
}

console.log(`aborted: ${aborted.join(', ')}`)
console.log(`health dashboard finished in ${elapsed()} ms`)
