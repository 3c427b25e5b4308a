// A checkout workflow with typed errors, handled exhaustively with ts-pattern: the compiler
// checks that every error the deps declare — and every error okflow itself can return — has a branch.
// Run: npm run example -- checkout
import { createWorkflow, err, ok, type Result, renderTimeline, type WorkflowEvent } from 'okflow'
import { match, P } from 'ts-pattern'

type User = { id: number; name: string; card: string }
type NotFound = { _tag: 'NotFound'; userId: number }
type OutOfStock = { _tag: 'OutOfStock'; sku: string }
type CardDeclined = { _tag: 'CardDeclined'; reason: string }

const wait = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => clearTimeout(t), { once: true })
  })

const deps = {
  fetchUser: async (id: number, signal: AbortSignal): Promise<Result<User, NotFound>> => {
    await wait(5, signal)
    return id === 404
      ? err({ _tag: 'NotFound', userId: id })
      : ok({ id, name: 'Ada', card: id === 402 ? 'expired' : 'visa' })
  },
  reserveStock: async (sku: string, signal: AbortSignal): Promise<Result<string, OutOfStock>> => {
    await wait(8, signal)
    return sku === 'rare-book' ? err({ _tag: 'OutOfStock', sku }) : ok(`hold-${sku}`)
  },
  chargeCard: async (user: User, cents: number, signal: AbortSignal): Promise<Result<string, CardDeclined>> => {
    await wait(10, signal)
    return user.card === 'expired'
      ? err({ _tag: 'CardDeclined', reason: 'card expired' })
      : ok(`rcpt-${user.id}-${cents}`)
  },
}

async function checkout(userId: number, skus: string[]) {
  const events: WorkflowEvent[] = []
  const flow = createWorkflow(deps, { name: `checkout #${userId}`, timeoutMs: 1_000, onEvent: (e) => events.push(e) })
  const result = await flow(async (step, d) => {
    const user = await step(({ signal }) => d.fetchUser(userId, signal), { name: 'fetch user', timeoutMs: 200 })
    // Reserve every item in parallel; the first OutOfStock aborts the other reservations.
    const holds = await step.all(
      'reserve stock',
      skus.map(
        (sku) =>
          ({ signal }: { signal: AbortSignal }) =>
            d.reserveStock(sku, signal),
      ),
    )
    const receipt = await step(({ signal }) => d.chargeCard(user, 1999 * skus.length, signal), {
      name: 'charge card',
      retry: { attempts: 2, retryIf: (e) => e._tag !== 'CardDeclined' }, // a decline is final
    })
    return { receipt, holds }
  })

  const message = result.match(
    ({ receipt, holds }) => `✓ paid (${receipt}), ${holds.length} item(s) reserved`,
    (e) =>
      match(e)
        .with({ _tag: 'NotFound' }, (x) => `✗ no user ${x.userId}`)
        .with({ _tag: 'OutOfStock' }, (x) => `✗ ${x.sku} is out of stock`)
        .with({ _tag: 'CardDeclined' }, (x) => `✗ payment declined: ${x.reason}`)
        .with({ _tag: 'TimeoutError' }, (x) => `✗ ${x.label ?? 'checkout'} took too long`)
        .with({ _tag: 'CancelledError' }, () => '✗ cancelled')
        .with({ _tag: 'AllFailedError' }, (x) => `✗ ${x.errors.length} attempts failed`)
        .with({ _tag: 'CompensatedError' }, (x) => `✗ ${x.message}`) // only with steps that have a `compensate`
        .with({ _tag: P.union('UnexpectedError', 'InvalidOptionsError') }, (x) => `✗ bug: ${x.message}`)
        .with(
          { _tag: P.union('QueueFullError', 'WorkerCrashedError', 'TaskFailedError') },
          (x) => `✗ worker: ${x.message}`,
        )
        .exhaustive(),
  )
  console.log(`checkout for user ${userId} with [${skus.join(', ')}]: ${message}`)
  return events
}

const events = await checkout(1, ['pen', 'notebook'])
console.log(renderTimeline(events, { width: 40 }))
await checkout(404, ['pen'])
await checkout(2, ['pen', 'rare-book'])
await checkout(402, ['pen'])
