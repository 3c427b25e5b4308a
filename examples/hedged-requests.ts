// Hedged requests: cut tail latency by asking a second backend when the first is slow.
// hedge starts attempt 1; if no attempt has succeeded after `afterMs` it starts attempt 2 while
// attempt 1 keeps running. The first ok wins and the other attempt is aborted through its signal.
// Run: npm run example -- hedged-requests

import { type AttemptContext, err, hedge, ok, type Result } from 'okflow'

class BackendError extends Error {
  readonly _tag = 'BackendError' as const
  constructor(readonly backend: string) {
    super(`${backend} returned 503`)
  }
}

interface Reply {
  backend: string
  body: string
}

/** A fake backend: answers after `ms` (or fails), or stops early when its signal aborts. */
function backend(name: string, ms: number, fails = false) {
  return (signal: AbortSignal): Promise<Result<Reply, BackendError>> =>
    new Promise((resolve) => {
      console.log(`   → ${name}: request sent`)
      const timer = setTimeout(
        () => resolve(fails ? err(new BackendError(name)) : ok({ backend: name, body: `price=42 from ${name}` })),
        ms,
      )
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer)
          console.log(`   ↳ ${name}: aborted`)
        },
        { once: true },
      )
    })
}

type Backend = ReturnType<typeof backend>

/** Attempt 1 goes to the primary, attempt 2 to the replica. */
async function hedged(title: string, primary: Backend, replica: Backend) {
  console.log(title)
  const started = performance.now()
  const result = await hedge(
    ({ signal, attempt }: AttemptContext) =>
      (attempt === 1 ? primary : replica)(signal).then((r) => r.map((reply) => ({ ...reply, attempt }))),
    {
      afterMs: 50,
      max: 2,
      timeoutMs: 1_000,
    },
  )
  const ms = Math.round(performance.now() - started)
  console.log(
    result.match(
      (r) => `   won: attempt ${r.attempt} (${r.backend}: ${r.body}) after ~${ms} ms`,
      (e) =>
        e._tag === 'AllFailedError'
          ? `   failed: ${e.message}: ${e.errors.map((x) => x.message).join('; ')}`
          : `   failed: ${e.message}`,
    ),
  )
}

await hedged(
  '1. primary is slow: the hedge to the replica wins, the primary is aborted',
  backend('primary', 400),
  backend('replica', 20),
)
await hedged('2. primary is fast: no hedge is sent', backend('primary', 10), backend('replica', 20))
await hedged(
  '3. primary fails at once: the replica is asked straight away, not after 50 ms',
  backend('primary', 5, true),
  backend('replica', 20),
)
await hedged(
  '4. both fail: AllFailedError lists each attempt',
  backend('primary', 5, true),
  backend('replica', 5, true),
)
console.log('hedged requests finished')
