// okflow demo: a named workflow with fetch-like steps (timeouts, a retry), a parallel group,
// a batch step (with a progress bar) and a SHA-256 offload step on worker threads — then its
// timeline, a Mermaid chart and an HTML report of the run.
// Run: npm run demo
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createWorkflow,
  err,
  ok,
  processInBatches,
  progressBar,
  type Result,
  renderHtmlReport,
  renderTimeline,
  toMermaid,
  type WorkflowEvent,
} from 'okflow'
import { createWorkerPool } from 'okflow/worker'
import { match } from 'ts-pattern'
import type tasks from './tasks/demo-tasks.mjs'

type ServiceDown = { _tag: 'ServiceDown'; service: string }
type Order = { id: number; total: number }

/** A fake HTTP call that honours its AbortSignal, as fetch does. */
function call<T>(
  service: string,
  ms: number,
  value: T,
  signal: AbortSignal,
  fail = false,
): Promise<Result<T, ServiceDown>> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fail ? err({ _tag: 'ServiceDown', service }) : ok(value)), ms)
    signal.addEventListener('abort', () => clearTimeout(timer), { once: true })
  })
}

const deps = {
  fetchCustomer: (id: number, signal: AbortSignal) => call('customers', 15, { id, name: 'Ada' }, signal),
  fetchOrders: (signal: AbortSignal) =>
    call(
      'orders',
      25,
      Array.from({ length: 500 }, (_, i): Order => ({ id: i, total: (i * 37) % 100 })),
      signal,
    ),
  fetchRates: (signal: AbortSignal, attempt: number) => call('rates', 10, { EUR: 0.92 }, signal, attempt === 1),
  saveInvoice: (order: Order, signal: AbortSignal) => call('invoices', 1 + (order.id % 3), order.id, signal),
}

const pool = createWorkerPool<typeof tasks>(new URL('./tasks/demo-tasks.mjs', import.meta.url), {
  minThreads: 1,
  maxThreads: 2,
})
if (pool.isErr()) throw pool.error
const events: WorkflowEvent[] = []
const invoicing = createWorkflow(
  { ...deps, pool: pool.value },
  { name: 'monthly invoicing', onEvent: (e) => events.push(e) },
)

const result = await invoicing(async (step, d) => {
  const customer = await step(({ signal }) => d.fetchCustomer(42, signal), { name: 'fetch customer', timeoutMs: 200 })
  const [orders, rates] = await step
    .all('load data', {
      orders: ({ signal }) => d.fetchOrders(signal),
      rates: ({ signal }) =>
        // The first call to the rates service fails; the retry in the parallel group succeeds.
        call('rates (cached)', 5, { EUR: 0.92 }, signal),
    })
    .then((x) => [x.orders, x.rates] as const)
  const fresh = await step(({ signal, attempt }) => d.fetchRates(signal, attempt), {
    name: 'refresh rates',
    timeoutMs: 100,
    retry: { attempts: 3, backoff: { initialMs: 5 } },
  })
  const saved = await step(
    ({ signal }) =>
      processInBatches(orders, (order, _i, ctx) => d.saveInvoice(order, ctx.signal), {
        concurrency: 16,
        batchSize: 100,
        signal,
        // A bar redrawn in place on a terminal; plain lines when piped. On stdout here, beside the results.
        onProgress: progressBar({ label: 'invoices', stream: process.stdout }),
      }).mapErr((e) => ('index' in e ? e.error : e)), // fail-fast reports { index, error }: keep the error
    { name: 'save 500 invoices (batch)' },
  )
  const digest = await step.offload(
    'sha256 of the ledger',
    d.pool,
    'sha256',
    new TextEncoder().encode(JSON.stringify(saved)),
    { timeoutMs: 5_000 },
  )
  return { customer: customer.name, invoices: saved.length, eur: fresh.EUR ?? rates.EUR, digest: digest.slice(0, 16) }
})
await pool.value.close()

console.log(
  result.match(
    (v) => `ok: ${JSON.stringify(v)}`,
    (e) =>
      match(e)
        .with({ _tag: 'ServiceDown' }, (x) => `failed: ${x.service} is down`)
        .with({ _tag: 'TimeoutError' }, (x) => `failed: ${x.label} timed out`)
        .otherwise((x) => `failed: ${x instanceof Error ? x.message : JSON.stringify(x)}`),
  ),
)
console.log()
console.log(renderTimeline(events, { width: 50 }))
console.log()
console.log('Mermaid (paste into a ```mermaid block):')
console.log(toMermaid(events))
console.log()
const report = join(tmpdir(), 'okflow-demo-report.html')
writeFileSync(report, renderHtmlReport(events))
console.log(`HTML report: ${report}`)
