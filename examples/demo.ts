// okflow demo: fan out to services with typed errors, cancel the losers, time out and retry.
// Run: npm run demo

import { allAsync, anyAsync, err, ok, type Result, retry, type TaskContext, withTimeout } from 'okflow'
import { match } from 'ts-pattern'

type ServiceDown = { _tag: 'ServiceDown'; service: string }

/** A fake HTTP call that honours its AbortSignal, as fetch does. */
function call<T>(service: string, ms: number, value: T, fail = false) {
  return ({ signal }: TaskContext): Promise<Result<T, ServiceDown>> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(fail ? err({ _tag: 'ServiceDown', service }) : ok(value)), ms)
      signal.addEventListener('abort', () => {
        clearTimeout(timer)
        console.log(`  ↳ ${service}: aborted (${String(signal.reason?.message ?? signal.reason)})`)
      })
    })
}

console.log('1. allAsync: a record of lazy tasks → a typed record')
const profile = await allAsync({
  user: call('users', 20, { id: 7, name: 'Ada' }),
  plan: call('billing', 30, 'pro' as const),
})
console.log('  ', profile.isOk() ? profile.value : profile.error)

console.log('2. allAsync fail-fast: the first err returns at once and aborts the rest')
const failFast = await allAsync([call('inventory', 500, 3), call('pricing', 10, 0, true)])
console.log('  ', failFast.isErr() ? failFast.error : failFast.value)

console.log('3. anyAsync: the fastest mirror wins, the others are aborted')
const mirror = await anyAsync([call('mirror-eu', 40, 'eu'), call('mirror-us', 15, 'us'), call('mirror-ap', 400, 'ap')])
console.log('   winner:', mirror.isOk() ? mirror.value : mirror.error)

console.log('4. withTimeout + retry: a slow call times out, the retry succeeds')
let attempts = 0
const quote = await retry(
  ({ signal, attempt }) => withTimeout(call('quotes', attempt === 1 ? 500 : 5, 42), 50, { signal, label: 'quote' }),
  {
    attempts: 3,
    backoff: { initialMs: 10, jitter: true },
    onRetry: ({ attempt, error }) => {
      attempts = attempt
      console.log(`   attempt ${attempt} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`)
    },
  },
)
const text = quote.match(
  (v) => `quote ${v} after ${attempts + 1} attempts`,
  (e) =>
    match(e)
      .with({ _tag: 'TimeoutError' }, (t) => `timed out after ${t.ms} ms`)
      .with({ _tag: 'ServiceDown' }, (d) => `${d.service} is down`)
      .otherwise((x) => `failed: ${x.message}`),
)
console.log(`   ${text}`)
console.log('demo finished')
