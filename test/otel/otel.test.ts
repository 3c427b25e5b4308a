import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type HrTime, ROOT_CONTEXT, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { afterEach, describe, expect, it } from 'vitest'
import {
  CancelledError,
  createWorkflow,
  err,
  fileStore,
  memoryStore,
  ok,
  type Result,
  type WorkflowEvent,
} from '../../src/index.js'
import { otelEvents } from '../../src/otel/index.js'
import { laterOk } from '../helpers.js'

const exporter = new InMemorySpanExporter()
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
const tracer = provider.getTracer('okflow-test')
afterEach(() => exporter.reset())

const spans = () => exporter.getFinishedSpans()
const byName = (name: string) => {
  const found = spans().filter((s) => s.name === name)
  expect(found, `one span named ${name}`).toHaveLength(1)
  return found[0]!
}
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId
const idOf = (s: ReadableSpan) => s.spanContext().spanId
const ms = (t: HrTime) => t[0] * 1000 + t[1] / 1e6

type Down = { _tag: 'Down'; service: string }
/** A dependency that is down: its error type declares Down to the workflows that list it. */
const down = (service: string): Result<number, Down> => err({ _tag: 'Down', service })

describe('otelEvents', () => {
  it('makes one span per run and per step, nested as the events are, with their names and times', async () => {
    const events: WorkflowEvent[] = []
    const onOtel = otelEvents({ tracer })
    const wf = createWorkflow(
      {},
      {
        name: 'checkout',
        runId: 'run-1',
        onEvent: (e) => {
          events.push(e)
          onOtel(e)
        },
      },
    )
    const r = await wf(async (step) => {
      await step(() => ok('ada'), { name: 'fetch user' })
      await step.all('load', { cart: () => ok([1]), rates: () => ok({ EUR: 0.9 }) })
      return step(() => ok(42), { name: 'charge' })
    })
    expect(r._unsafeUnwrap()).toBe(42)
    expect(
      spans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['charge', 'checkout', 'fetch user', 'load', 'load.cart', 'load.rates'])
    const run = byName('checkout')
    expect(parentOf(run)).toBeUndefined()
    for (const name of ['fetch user', 'load', 'charge']) expect(parentOf(byName(name))).toBe(idOf(run))
    for (const name of ['load.cart', 'load.rates']) expect(parentOf(byName(name))).toBe(idOf(byName('load')))
    expect(new Set(spans().map((s) => s.spanContext().traceId)).size).toBe(1)
    expect(run.attributes).toMatchObject({
      'okflow.workflow.name': 'checkout',
      'okflow.run.id': 'run-1',
      'okflow.outcome': 'ok',
    })
    expect(byName('load.cart').attributes).toMatchObject({
      'okflow.step.name': 'load.cart',
      'okflow.step.kind': 'child',
      'okflow.step.attempts': 1,
      'okflow.outcome': 'ok',
    })
    expect(typeof byName('charge').attributes['okflow.step.id']).toBe('string')
    for (const s of spans()) expect(s.status.code).toBe(SpanStatusCode.UNSET)
    // The spans carry the events' own times (to within the HrTime rounding).
    const start = events.find((e) => e.type === 'workflow_start')!.ts
    const endEvent = events.at(-1)!
    expect(ms(run.startTime)).toBeCloseTo(start, 2)
    expect(ms(run.endTime)).toBeCloseTo(endEvent.ts, 2)
  })

  it('records a failed step: ERROR status, the exception, error.type; the run fails with it', async () => {
    const wf = createWorkflow({ down }, { name: 'pay', onEvent: otelEvents({ tracer }) })
    await wf(async (step, deps) => {
      await step(() => ok(1), { name: 'fine' })
      return step(() => deps.down('bank'), { name: 'charge' })
    })
    const charge = byName('charge')
    expect(charge.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Down' })
    expect(charge.attributes).toMatchObject({ 'error.type': 'Down', 'okflow.outcome': 'error' })
    expect(charge.events.map((e) => [e.name, e.attributes?.['exception.type']])).toEqual([['exception', 'Down']])
    expect(byName('fine').status.code).toBe(SpanStatusCode.UNSET)
    const run = byName('pay')
    expect(run.status.code).toBe(SpanStatusCode.ERROR)
    expect(run.attributes).toMatchObject({ 'error.type': 'Down', 'okflow.outcome': 'error' })
  })

  it('records an Error with its message and stack, and a timeout as a TimeoutError', async () => {
    const wf = createWorkflow({ laterOk }, { name: 'slow', onEvent: otelEvents({ tracer }) })
    await wf(async (step, deps) => step(({ signal }) => deps.laterOk(1_000, 1, signal), { name: 'wait', timeoutMs: 5 }))
    const wait = byName('wait')
    expect(wait.status.code).toBe(SpanStatusCode.ERROR)
    expect(wait.attributes).toMatchObject({
      'error.type': 'TimeoutError',
      'okflow.outcome': 'timeout',
      'okflow.step.timeout_ms': 5,
    })
    const run = byName('slow')
    const exception = run.events.find((e) => e.name === 'exception')!
    expect(exception.attributes?.['exception.type']).toBe('TimeoutError')
    expect(String(exception.attributes?.['exception.message'])).toContain('wait')
    expect(String(exception.attributes?.['exception.stacktrace'])).toContain('TimeoutError')
  })

  it('adds a span event per retry on the step span', async () => {
    const wf = createWorkflow({ down }, { name: 'flaky', onEvent: otelEvents({ tracer }) })
    await wf(async (step, deps) =>
      step(({ attempt }) => (attempt < 3 ? deps.down(`try ${attempt}`) : ok(1)), {
        name: 'call',
        retry: { attempts: 3, backoff: { initialMs: 1, factor: 2, maxMs: 10, jitter: false } },
      }),
    )
    const call = byName('call')
    expect(spans()).toHaveLength(2) // retries are events, not spans
    expect(
      call.events.map((e) => [e.name, e.attributes?.['okflow.step.attempt'], e.attributes?.['error.type']]),
    ).toEqual([
      ['okflow.step.retry', 1, 'Down'],
      ['okflow.step.retry', 2, 'Down'],
    ])
    expect(call.events.map((e) => e.attributes?.['okflow.retry.delay_ms'])).toEqual([1, 2])
    expect(call.attributes['okflow.step.attempts']).toBe(3)
    expect(call.status.code).toBe(SpanStatusCode.UNSET)
  })

  it('records replayed steps as events on the run span, not as new spans', async () => {
    const store = memoryStore()
    const wf = createWorkflow({ laterOk }, { store, runId: 'order-1', name: 'durable' })
    const body = async (step: Parameters<Parameters<typeof wf>[0]>[0], slow: boolean) => {
      await step(() => ok(1), { name: 'first' })
      await step.all('pair', [() => ok(1), () => ok(2)])
      return step(({ signal }) => (slow ? laterOk(10_000, 0, signal) : ok(2)), { name: 'last' })
    }
    // Cancelled once the last step runs (not after a fixed delay: the store opens first).
    const ac = new AbortController()
    const stopAtLast = (e: WorkflowEvent) => {
      if (e.type === 'step_start' && e.name === 'last') ac.abort('stop')
    }
    const first = await wf((s) => body(s, true), { signal: ac.signal, onEvent: stopAtLast })
    expect(first._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    exporter.reset()
    await wf((s) => body(s, false), { onEvent: otelEvents({ tracer }) })
    expect(
      spans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['durable', 'last'])
    const run = byName('durable')
    const replayed = run.events.filter((e) => e.name === 'okflow.step.replayed')
    expect(replayed.map((e) => e.attributes?.['okflow.step.name'])).toEqual(expect.arrayContaining(['first', 'pair']))
    expect(replayed.every((e) => e.attributes?.['okflow.outcome'] === 'ok')).toBe(true)
    expect(parentOf(byName('last'))).toBe(idOf(run))
  })

  it("ends a race's cancelled loser with status UNSET (not an error of the run)", async () => {
    const wf = createWorkflow({ laterOk }, { name: 'race', onEvent: otelEvents({ tracer }) })
    const r = await wf(async (step, deps) =>
      step.race('fastest', [() => deps.laterOk(1, 'a'), ({ signal }) => deps.laterOk(1_000, 'b', signal)]),
    )
    expect(r._unsafeUnwrap()).toBe('a')
    const loser = byName('fastest[1]')
    expect(loser.attributes['okflow.outcome']).toBe('cancelled')
    expect(loser.status.code).toBe(SpanStatusCode.UNSET)
  })

  it('nests runs under the caller span, and keeps concurrent runs apart', async () => {
    const outer = tracer.startSpan('request')
    const onEvent = otelEvents({ tracer, parent: () => trace.setSpan(ROOT_CONTEXT, outer) })
    const wf = createWorkflow({ laterOk }, { name: 'job', onEvent })
    await Promise.all(
      ['a', 'b'].map((id) =>
        wf(async (step, deps) => step(() => deps.laterOk(5, id), { name: `work ${id}` }), { runId: id }),
      ),
    )
    outer.end()
    const runs = spans().filter((s) => s.name === 'job')
    expect(runs).toHaveLength(2)
    for (const run of runs) expect(parentOf(run)).toBe(outer.spanContext().spanId)
    for (const id of ['a', 'b']) {
      const run = runs.find((s) => s.attributes['okflow.run.id'] === id)!
      expect(parentOf(byName(`work ${id}`))).toBe(idOf(run))
    }
  })

  it('never breaks the run when the tracer throws', async () => {
    const broken = {
      startSpan() {
        throw new Error('exporter down')
      },
    } as unknown as Tracer
    const wf = createWorkflow({}, { name: 'w', onEvent: otelEvents({ tracer: broken }) })
    expect((await wf(async (step) => step(() => ok(7), { name: 's' })))._unsafeUnwrap()).toBe(7)
  })

  it('throws a typed InvalidOptionsError from the handler when tracer is not a Tracer', () => {
    const handler = otelEvents({ tracer: {} as Tracer })
    expect(() => handler({ type: 'workflow_start', runId: 'r', workflow: 'w', ts: 0 })).toThrow(
      expect.objectContaining({ _tag: 'InvalidOptionsError', option: 'tracer' }),
    )
  })
})

describe('okflow/otel and the main entry', () => {
  const dist = (f: string) => readFileSync(fileURLToPath(new URL(`../../dist/${f}`, import.meta.url)), 'utf8')
  it("the built okflow entry never mentions '@opentelemetry' (ESM and CJS, chunks included)", () => {
    for (const f of ['index.js', 'index.cjs']) expect(dist(f)).not.toContain('@opentelemetry')
    const imports = [...dist('index.js').matchAll(/from\s+["'](\.\/[^"']+)["']/g)].map((m) => m[1]!)
    for (const chunk of imports) expect(dist(chunk.slice(2))).not.toContain('@opentelemetry')
  })
  it('the built okflow/otel entry loads @opentelemetry/api and makes spans (ESM and CJS)', async () => {
    expect(dist('otel.js')).toContain('@opentelemetry/api')
    expect(dist('otel.cjs')).toContain('@opentelemetry/api')
    const esm = (await import('../../dist/otel.js')) as typeof import('../../src/otel/index.js')
    const cjs = createRequire(import.meta.url)('../../dist/otel.cjs') as typeof import('../../src/otel/index.js')
    for (const entry of [esm, cjs]) {
      exporter.reset()
      const wf = createWorkflow({}, { name: 'built', onEvent: entry.otelEvents({ tracer }) })
      await wf(async (step) => step(() => ok(1), { name: 'one' }))
      expect(
        spans()
          .map((s) => s.name)
          .sort(),
      ).toEqual(['built', 'one'])
    }
  })
})

describe('otelEvents with two runs of one runId', () => {
  it('keeps both traces whole when a second run is refused (RunLockedError) while the first goes on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'okflow-otel-'))
    try {
      const wf = createWorkflow(
        {},
        { name: 'locked', store: fileStore(dir), runId: 'same', onEvent: otelEvents({ tracer }) },
      )
      // The first run holds the lock until released: the second is tried while its step runs.
      let inStep!: () => void
      const stepping = new Promise<void>((resolve) => {
        inStep = resolve
      })
      let release!: () => void
      const released = new Promise<void>((resolve) => {
        release = resolve
      })
      const first = wf(async (step) =>
        step(
          async () => {
            inStep()
            await released
            return ok(1)
          },
          { name: 'slow' },
        ),
      )
      await stepping
      expect((await wf(async (step) => step(() => ok(2), { name: 'never' })))._unsafeUnwrapErr()).toMatchObject({
        _tag: 'RunLockedError',
      })
      release()
      expect((await first)._unsafeUnwrap()).toBe(1)
      const runs = spans().filter((s) => s.name === 'locked')
      expect(runs.map((s) => s.attributes['okflow.outcome']).sort()).toEqual(['error', 'ok'])
      const ok_ = runs.find((s) => s.attributes['okflow.outcome'] === 'ok')!
      expect(parentOf(byName('slow'))).toBe(idOf(ok_))
      expect(spans().some((s) => s.name === 'never')).toBe(false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
