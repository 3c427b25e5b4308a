import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  CancelledError,
  createWorkflow,
  err,
  memoryStore,
  ok,
  type Result,
  renderHtmlReport,
  type WorkflowEvent,
} from '../../src/index.js'
import type { ReportRun } from '../../src/report/model.js'
import { laterOk } from '../helpers.js'
import { bigRun, checkout, eventsOf, hostile } from './fixtures.js'

/** The run the page draws, read back from its data block (the page's script parses the same text). */
function dataOf(html: string): ReportRun {
  const m = /<script type="application\/json" id="okflow-data">([\s\S]*?)<\/script>/.exec(html)
  expect(m).not.toBeNull()
  return JSON.parse(m![1]!) as ReportRun
}

describe('renderHtmlReport', () => {
  it('is one self-contained page: inline style and script, no URL, no external resource', () => {
    const html = renderHtmlReport(checkout)
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html).not.toMatch(/https?:\/\//)
    expect(html).not.toMatch(/\b(src|href)\s*=/i)
    expect(html).not.toMatch(/@import|@font-face|url\(/i)
    expect(html.match(/<script/g)).toHaveLength(2)
    expect(html.match(/<\/script>/g)).toHaveLength(2)
  })

  it('allows only its own script to run (CSP with the hash of the inline script)', () => {
    const html = renderHtmlReport(checkout)
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1]
    expect(csp).toContain("default-src 'none'")
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? ''
    expect(script.length).toBeGreaterThan(1000)
    expect(csp).toContain(`script-src 'sha256-${createHash('sha256').update(script).digest('base64')}'`)
  })

  it('escapes user data: names, ids and errors cannot open a tag or close the script', () => {
    const html = renderHtmlReport(hostile)
    expect(html).not.toContain('<img')
    expect(html).not.toContain('<svg')
    expect(html).not.toContain('<b>wf')
    expect(html).not.toContain('<i>label')
    expect(html).not.toContain('\u2028')
    expect(html.match(/<\/script>/g)).toHaveLength(2) // only the page's own two
    expect(html).toContain('<h1>&lt;b&gt;wf&lt;/b&gt;&lt;script&gt;window.__xss=1&lt;/script&gt;</h1>')
    expect(html).toContain('<title>okflow · &lt;b&gt;wf&lt;/b&gt;')
    // The data still round-trips exactly.
    const run = dataOf(html)
    expect(run.steps.map((s) => s.name)).toEqual([
      '<img src=x onerror="window.__xss=3">',
      '</script><script>window.__xss=4</script>',
      'x\u2028y <!-- & "quotes" \'single\'',
    ])
    expect(run.steps[2]?.error).toMatchObject({ name: '<svg onload="window.__xss=5">' })
  })

  it('draws a real run: groups nested, a retry with its error, the failed step and the run error', async () => {
    const events: WorkflowEvent[] = []
    type Down = { _tag: 'Down'; service: string }
    const down = (service: string): Result<number, Down> => err({ _tag: 'Down', service })
    const wf = createWorkflow({ down }, { name: 'real', onEvent: (e) => events.push(e) })
    const r = await wf(async (step, deps) => {
      await step(({ attempt }) => (attempt === 1 ? deps.down('a') : ok(1)), {
        name: 'flaky',
        retry: { attempts: 2 },
      })
      await step.all('pair', [() => ok(1), () => ok(2)])
      return step(() => deps.down('b'), { name: 'broken' })
    })
    expect(r.isErr()).toBe(true)
    const run = dataOf(renderHtmlReport(events))
    expect(run).toMatchObject({ workflow: 'real', status: 'error', replayed: false })
    expect(run.error).toMatchObject({ name: 'Down', fields: [['service', 'b']] })
    expect(run.steps.map((s) => [s.name, s.kind, s.depth, s.status, s.attempts])).toEqual([
      ['flaky', 'step', 0, 'ok', 2],
      ['pair', 'all', 0, 'ok', 1],
      ['pair[0]', 'child', 1, 'ok', 1],
      ['pair[1]', 'child', 1, 'ok', 1],
      ['broken', 'step', 0, 'error', 1],
    ])
    expect(run.steps[2]?.parent).toBe(1)
    expect(run.steps[0]?.retries).toEqual([
      { attempt: 1, delayMs: 0, error: { name: 'Down', message: '', fields: [['service', 'a']] } },
    ])
    expect(run.steps[4]?.error).toMatchObject({ name: 'Down', fields: [['service', 'b']] })
    for (const s of run.steps) {
      expect(s.start).toBeGreaterThanOrEqual(0)
      expect(s.duration).toBeGreaterThanOrEqual(0)
      expect(s.start + (s.duration ?? 0)).toBeLessThanOrEqual(run.durationMs + 1e-6)
    }
  })

  it('marks replayed steps of a resumed durable run', async () => {
    const store = memoryStore()
    const events: WorkflowEvent[] = []
    const wf = createWorkflow({ laterOk }, { store, runId: 'd1', name: 'durable' })
    const body = async (step: Parameters<Parameters<typeof wf>[0]>[0], slow: boolean) => {
      await step(() => ok(1), { name: 'first' })
      return step(({ signal }) => (slow ? laterOk(10_000, 0, signal) : ok(2)), { name: 'second' })
    }
    // Cancelled once the second step runs (not after a fixed delay: the store opens first).
    const ac = new AbortController()
    const stopAtSecond = (e: WorkflowEvent) => {
      if (e.type === 'step_start' && e.name === 'second') ac.abort('stop')
    }
    const first = await wf((s) => body(s, true), { signal: ac.signal, onEvent: stopAtSecond })
    expect(first._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    await wf((s) => body(s, false), { onEvent: (e) => events.push(e) })
    const run = dataOf(renderHtmlReport(events))
    expect(run.steps.map((s) => [s.name, s.replayed])).toEqual([
      ['first', true],
      ['second', false],
    ])
    expect(run.status).toBe('ok')
  })

  it('shows a timeout with its limit and a step still running when the events stop', () => {
    const events = eventsOf(
      'w',
      'r',
      [
        { id: 'a', name: 'slow', from: 0, to: 50, end: { timeoutMs: 50 } },
        { id: 'b', name: 'after', from: 50, to: 60, end: { ok: true } },
      ],
      { error: 'x' },
    )
    const cut = events.filter((e) => !(e.type === 'step_success' && e.name === 'after')).slice(0, -1)
    const run = dataOf(renderHtmlReport(cut))
    expect(run.status).toBe('running')
    expect(run.steps.map((s) => [s.status, s.duration, s.timeoutMs])).toEqual([
      ['timeout', 50, 50],
      ['running', null, undefined],
    ])
  })

  it('never throws on errors that fight back: throwing getters, cycles, BigInt, symbols', () => {
    const cyclic: Record<string, unknown> = { _tag: 'Loop' }
    cyclic.self = cyclic
    const hostileError = Object.defineProperty(new Error('boom'), 'code', {
      enumerable: true,
      get() {
        throw new Error('no')
      },
    })
    const weird = [cyclic, hostileError, 10n, Symbol('s'), undefined, null, 'plain', { big: 1n, fn() {} }]
    const events = eventsOf(
      'w',
      'r',
      weird.map((error, i) => ({ id: `s${i}`, name: `s${i}`, from: i, to: i + 1, end: { error } })),
      { ok: true },
    )
    const run = dataOf(renderHtmlReport(events))
    expect(run.steps.map((s) => s.error?.name)).toEqual([
      'Loop',
      'Error',
      'bigint',
      'symbol',
      'undefined',
      'object',
      'string',
      'object',
    ])
    expect(run.steps[0]?.error?.fields).toEqual([['self', '{"_tag":"Loop","self":"[Circular]"}']])
    expect(run.steps[1]?.error?.message).toBe('boom')
    expect(run.steps.slice(2, 7).map((s) => s.error?.message)).toEqual([
      '10n',
      'Symbol(s)',
      'undefined',
      'null',
      'plain',
    ])
    expect(run.steps[7]?.error?.fields).toEqual([
      ['big', '1n'],
      ['fn', '[Function fn]'],
    ])
  })

  it('draws an empty run as a page that says so', () => {
    const html = renderHtmlReport([])
    expect(dataOf(html).steps).toEqual([])
    expect(html).toContain('<title>okflow · workflow · running</title>')
    expect(renderHtmlReport([], { title: 'mine' })).toContain('<title>mine</title>')
  })

  it('stays small at 10,000 steps (about 160 bytes a step)', () => {
    const html = renderHtmlReport(bigRun())
    expect(dataOf(html).steps).toHaveLength(10_000)
    expect(html.length).toBeLessThan(2_500_000)
  })
})
