// A payment client that stays polite to a flaky gateway: retry + circuit breaker + bulkhead +
// timeout, composed with policy(...). Every outcome is a typed err, every call cancellable.
// Run: npm run example -- payment-client

import {
  bulkhead,
  circuitBreaker,
  err,
  ok,
  policy,
  type Result,
  retryPolicy,
  TimeoutError,
  timeoutPolicy,
} from 'okflow'
import { match, P } from 'ts-pattern'

class GatewayError extends Error {
  readonly _tag = 'GatewayError' as const
  constructor(readonly status: number) {
    super(`gateway answered ${status}`)
  }
}
class CardDeclined extends Error {
  readonly _tag = 'CardDeclined' as const
  constructor(readonly reason: string) {
    super(`card declined: ${reason}`)
  }
}

interface Charge {
  orderId: string
  cents: number
}
interface Receipt {
  orderId: string
  receiptId: string
}

/** A fake gateway whose behaviour the scenarios change: latency, failures, declines. */
const gateway = {
  mode: 'healthy' as 'healthy' | 'slow-once' | 'down',
  calls: 0,
  charge(req: Charge, signal: AbortSignal): Promise<Result<Receipt, GatewayError | CardDeclined>> {
    this.calls++
    const slow = this.mode === 'slow-once'
    if (slow) this.mode = 'healthy'
    const ms = slow ? 500 : 20
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort)
        if (this.mode === 'down') resolve(err(new GatewayError(503)))
        else if (req.cents > 100_000) resolve(err(new CardDeclined('over limit')))
        else resolve(ok({ orderId: req.orderId, receiptId: `rcpt-${req.orderId}` }))
      }, ms)
      const onAbort = () => {
        clearTimeout(timer)
        console.log(`   ↳ gateway: request for ${req.orderId} aborted`)
        resolve(err(new GatewayError(499)))
      }
      signal.addEventListener('abort', onAbort, { once: true })
    })
  },
}

// The policy, outermost first: retry → breaker → bulkhead → timeout → the gateway call.
// - retry sees every attempt's error; it retries timeouts and 5xx, never a refusal or a decline;
// - the breaker counts each attempt, timeouts included (the timeout is inside it);
// - the bulkhead bounds the requests really sent (2 at once, 3 waiting);
// - the timeout limits each attempt and aborts the gateway request when it runs out.
const breaker = circuitBreaker({
  threshold: 3,
  halfOpenAfterMs: 300,
  isFailure: (e) => e instanceof TimeoutError || (e instanceof GatewayError && e.status >= 500),
  onStateChange: ({ from, to }) => console.log(`   [breaker] ${from} → ${to}`),
})
const payments = policy(
  retryPolicy({
    attempts: 3,
    backoff: { initialMs: 10, factor: 2 },
    retryIf: (e) => e instanceof TimeoutError || (e instanceof GatewayError && e.status >= 500),
  }),
  breaker,
  bulkhead({ concurrency: 2, queue: 3 }),
  timeoutPolicy(100, { label: 'charge' }),
)

function charge(req: Charge, signal?: AbortSignal) {
  return payments.execute(({ signal }) => gateway.charge(req, signal), { signal })
}

/** One line per outcome; exhaustive over every error the call can end with. */
function describe(r: Awaited<ReturnType<typeof charge>>): string {
  return r.match(
    (receipt) => `ok ${receipt.receiptId}`,
    (e) =>
      match(e)
        .with({ _tag: 'CardDeclined' }, (x) => `declined (${x.reason}): not retried`)
        .with({ _tag: 'GatewayError' }, (x) => `gateway error ${x.status}`)
        .with({ _tag: 'CircuitOpenError' }, (x) => `refused: circuit open, retry in ~${x.retryAfterMs} ms`)
        .with({ _tag: 'BulkheadRejectedError' }, () => 'refused: too many payments in flight')
        .with({ _tag: 'TimeoutError' }, (x) => `timed out after ${x.ms} ms`)
        .with({ _tag: 'CancelledError' }, () => 'cancelled by the caller')
        .with({ _tag: P.union('UnexpectedError', 'InvalidOptionsError') }, (x) => `bug: ${x.message}`)
        .exhaustive(),
  )
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

console.log('1. a healthy gateway')
for (const [id, cents] of [
  ['A1', 1200],
  ['A2', 250_000],
] as const) {
  console.log(`   ${id}: ${describe(await charge({ orderId: id, cents }))}`)
}

console.log('2. a slow answer: the attempt times out, the retry succeeds')
gateway.mode = 'slow-once'
console.log(`   B1: ${describe(await charge({ orderId: 'B1', cents: 900 }))}`)

console.log('3. the gateway goes down: three failed attempts open the breaker')
gateway.mode = 'down'
gateway.calls = 0
console.log(`   C1: ${describe(await charge({ orderId: 'C1', cents: 500 }))}`)
console.log(`   C2: ${describe(await charge({ orderId: 'C2', cents: 500 }))}`)
console.log(`   gateway requests while down: ${gateway.calls} (C2 never reached it)`)

console.log('4. the gateway recovers: after halfOpenAfterMs a trial call closes the breaker')
gateway.mode = 'healthy'
await sleep(300)
console.log(`   D1: ${describe(await charge({ orderId: 'D1', cents: 700 }))}`)

console.log('5. a burst of 7 payments: 2 run, 3 wait, 2 are refused at once')
const burst = await Promise.all(
  Array.from({ length: 7 }, (_, i) => charge({ orderId: `E${i + 1}`, cents: 100 }).then(describe)),
)
for (const [i, line] of burst.entries()) console.log(`   E${i + 1}: ${line}`)

console.log('6. the customer leaves while their payment waits for a slot')
const leave = new AbortController()
const first = [charge({ orderId: 'F1', cents: 100 }), charge({ orderId: 'F2', cents: 100 })]
const waiting = charge({ orderId: 'F3', cents: 100 }, leave.signal)
leave.abort('customer closed the tab')
console.log(`   F3: ${describe(await waiting)}`)
for (const [i, r] of (await Promise.all(first)).entries()) console.log(`   F${i + 1}: ${describe(r)}`)

const m = breaker.metrics()
console.log(
  `breaker: ${m.state}; ${m.calls} attempts = ${m.successes} ok + ${m.failures} failed + ${m.ignored} not counted (declines, bulkhead refusals) + ${m.rejected} refused + ${m.cancelled} cancelled`,
)
console.log('payment client finished')
