// Runs to draw, as event lists with fixed timings (so the screenshot and the assertions do not
// depend on the machine's speed). Real workflow runs are drawn in html.test.ts.
import { CancelledError, TimeoutError, type WorkflowEvent } from '../../src/index.js'

type Kind = 'step' | 'all' | 'any' | 'race' | 'child' | 'sleep' | 'offload'
type End = { ok: true } | { error: unknown } | { timeoutMs: number }
interface Spec {
  id: string
  name: string
  kind?: Kind
  parent?: string
  from: number
  to: number
  end: End
  retries?: { at: number; error: unknown; delayMs: number }[]
  replayed?: boolean
}

/** Events of one run from step specs (times in ms from t0); steps are started in spec order. */
export function eventsOf(
  workflow: string,
  runId: string,
  specs: Spec[],
  outcome: End,
  t0 = 1_764_590_400_000,
): WorkflowEvent[] {
  const base = { runId, workflow }
  const timed: { ts: number; order: number; e: WorkflowEvent }[] = []
  let order = 0
  const push = (e: WorkflowEvent) => timed.push({ ts: e.ts, order: order++, e })
  const last = Math.max(0, ...specs.map((s) => s.to))
  push({ ...base, type: 'workflow_start', ts: t0 })
  for (const s of specs) {
    const step = {
      ...base,
      stepId: s.id,
      name: s.name,
      kind: s.kind ?? (s.parent ? 'child' : 'step'),
      ...(s.parent ? { parentId: s.parent } : {}),
      ...(s.replayed ? { replayed: true } : {}),
    }
    push({ ...step, type: 'step_start', ts: t0 + s.from, attempt: 1 })
    let attempt = 1
    for (const r of s.retries ?? []) {
      push({ ...step, type: 'step_retry', ts: t0 + r.at, attempt, error: r.error, delayMs: r.delayMs })
      attempt++
    }
    const ended = { ...step, ts: t0 + s.to, attempt, durationMs: s.to - s.from }
    if ('ok' in s.end) push({ ...ended, type: 'step_success' })
    else if ('error' in s.end) push({ ...ended, type: 'step_error', error: s.end.error })
    else push({ ...ended, type: 'step_timeout', ms: s.end.timeoutMs })
  }
  const done = { ...base, ts: t0 + last + 0.3, durationMs: last + 0.3 }
  if ('ok' in outcome) push({ ...done, type: 'workflow_success' })
  else if ('error' in outcome)
    push({
      ...done,
      type: outcome.error instanceof CancelledError ? 'workflow_cancelled' : 'workflow_error',
      error: outcome.error,
    })
  // Stable by time, then by the order written (a child's end before its group's at the same instant).
  return timed.sort((a, b) => a.ts - b.ts || a.order - b.order).map((x) => x.e)
}

class CardDeclined extends Error {
  readonly _tag = 'CardDeclined'
  override readonly name = 'CardDeclined'
  constructor(
    readonly code: string,
    readonly amountCents: number,
  ) {
    super(`card declined: ${code.replace(/_/g, ' ')}`)
  }
}

const down = (service: string) => ({ _tag: 'ServiceDown', service, status: 503 })

/** A checkout that was resumed from its store, retried a flaky call, raced carriers and failed to charge. */
export const checkout = eventsOf(
  'checkout',
  'order-4711',
  [
    { id: 's1', name: 'validate cart', from: 0, to: 0.2, end: { ok: true }, replayed: true },
    { id: 's2', name: 'reserve stock', from: 0.2, to: 0.4, end: { ok: true }, replayed: true },
    { id: 's3', name: 'fetch customer', from: 0.4, to: 22, end: { ok: true } },
    { id: 's4', name: 'load data', kind: 'all', from: 22, to: 61, end: { ok: true } },
    { id: 's5', name: 'load data.orders', parent: 's4', from: 22, to: 61, end: { ok: true } },
    { id: 's6', name: 'load data.rates', parent: 's4', from: 22, to: 35, end: { ok: true } },
    { id: 's7', name: 'load data.coupons', parent: 's4', from: 22, to: 30, end: { ok: true } },
    {
      id: 's8',
      name: 'refresh rates',
      from: 61,
      to: 96,
      end: { ok: true },
      retries: [{ at: 72, error: down('rates'), delayMs: 10 }],
    },
    { id: 's9', name: 'shipping quote', kind: 'any', from: 96, to: 128, end: { ok: true } },
    { id: 's10', name: 'shipping quote[0] dhl', parent: 's9', from: 96, to: 104, end: { error: down('dhl') } },
    { id: 's11', name: 'shipping quote[1] ups', parent: 's9', from: 96, to: 128, end: { ok: true } },
    {
      id: 's12',
      name: 'shipping quote[2] fedex',
      parent: 's9',
      from: 96,
      to: 128,
      end: { error: new CancelledError('another input won') },
    },
    { id: 's13', name: 'fraud check', from: 128, to: 151, end: { ok: true } },
    {
      id: 's14',
      name: 'charge card',
      from: 151,
      to: 212,
      end: { error: new CardDeclined('insufficient_funds', 4200) },
    },
  ],
  { error: new CardDeclined('insufficient_funds', 4200) },
)
export const checkoutNames = checkout.flatMap((e) => (e.type === 'step_start' ? [e.name] : []))

/** Names and errors that would run code if the page put them in as markup. */
export const hostile = eventsOf(
  '<b>wf</b><script>window.__xss=1</script>',
  '"><img src=x onerror="window.__xss=2">',
  [
    { id: 'a', name: '<img src=x onerror="window.__xss=3">', from: 0, to: 5, end: { ok: true } },
    { id: 'b', name: '</script><script>window.__xss=4</script>', from: 5, to: 9, end: { ok: true } },
    {
      id: 'c',
      name: 'x\u2028y <!-- & "quotes" \'single\'',
      from: 9,
      to: 20,
      end: {
        error: { _tag: '<svg onload="window.__xss=5">', message: '</script><img src=x onerror="window.__xss=6">' },
      },
    },
  ],
  { error: new TimeoutError(1, '<i>label</i>') },
)

/** 10,000 steps: 100 groups of 98 children and 100 plain steps, some retried, failed or replayed. */
export function bigRun(): WorkflowEvent[] {
  const specs: Spec[] = []
  let t = 0
  for (let g = 0; g < 100; g++) {
    const gid = `g${g}`
    specs.push({ id: gid, name: `batch ${g}`, kind: 'all', from: t, to: t + 30, end: { ok: true } })
    for (let c = 0; c < 98; c++) {
      const n = g * 98 + c
      const from = t + Math.floor(c / 10)
      specs.push({
        id: `c${n}`,
        name: `step ${n}`,
        parent: gid,
        from,
        to: from + 5 + (n % 17),
        end: n % 500 === 7 ? { error: down(`svc-${n}`) } : { ok: true },
        ...(n % 97 === 3 ? { retries: [{ at: from + 2, error: down('flaky'), delayMs: 1 }] } : {}),
        ...(g < 3 ? { replayed: true } : {}),
      })
    }
    t += 31
    specs.push({ id: `p${g}`, name: `checkpoint ${g}`, from: t, to: t + 1 + (g % 5), end: { ok: true } })
    t += 6
  }
  return eventsOf('nightly import', 'import-2026-12-01', specs, { ok: true })
}
