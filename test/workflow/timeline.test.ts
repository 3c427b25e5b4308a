import { describe, expect, it } from 'vitest'
import { CancelledError, renderTimeline, toMermaid, type WorkflowEvent } from '../../src/index.js'

const base = { runId: 'run-1', workflow: 'checkout' }
const t0 = 1_700_000_000_000
const step = (stepId: string, name: string, kind: 'step' | 'all' | 'child' = 'step', parentId?: string) => ({
  ...base,
  stepId,
  name,
  kind,
  attempt: 1,
  ...(parentId ? { parentId } : {}),
})
// A run of 100 ms: a retried step, a group with one ok and one cancelled child, and a timeout.
const events: WorkflowEvent[] = [
  { ...base, type: 'workflow_start', ts: t0 },
  { ...step('s1', 'fetch user'), type: 'step_start', ts: t0 },
  { ...step('s1', 'fetch user'), type: 'step_retry', ts: t0 + 10, error: 'flaky', delayMs: 0 },
  { ...step('s1', 'fetch user'), type: 'step_success', ts: t0 + 20, durationMs: 20 },
  { ...step('s2', 'fan out', 'all'), type: 'step_start', ts: t0 + 20 },
  { ...step('s3', 'fan out[0]', 'child', 's2'), type: 'step_start', ts: t0 + 20 },
  { ...step('s4', 'fan out[1]', 'child', 's2'), type: 'step_start', ts: t0 + 20 },
  { ...step('s3', 'fan out[0]', 'child', 's2'), type: 'step_success', ts: t0 + 50, durationMs: 30 },
  {
    ...step('s4', 'fan out[1]', 'child', 's2'),
    type: 'step_error',
    ts: t0 + 60,
    durationMs: 40,
    error: new CancelledError('lost'),
  },
  { ...step('s2', 'fan out', 'all'), type: 'step_success', ts: t0 + 60, durationMs: 40 },
  { ...step('s5', 'price: quote #1'), type: 'step_start', ts: t0 + 60 },
  { ...step('s5', 'price: quote #1'), type: 'step_timeout', ts: t0 + 100, durationMs: 40, ms: 40 },
  { ...base, type: 'workflow_error', ts: t0 + 100, durationMs: 100, error: 'timeout' },
]

describe('renderTimeline', () => {
  it('draws one row per step, bars scaled to time, nesting and status marks', () => {
    const text = renderTimeline(events, { width: 20 })
    expect(text).toBe(
      [
        'checkout  run run-1  ✗ error in 100.0 ms',
        'fetch user      │████                │ ✓ 20.0 ms ↻1',
        'fan out         │    ████████        │ ✓ 40.0 ms',
        '  fan out[0]    │    ██████          │ ✓ 30.0 ms',
        '  fan out[1]    │    ░░░░░░░░        │ ⊘ 40.0 ms',
        'price: quote #1 │            ▒▒▒▒▒▒▒▒│ ⏱ 40.0 ms',
      ].join('\n'),
    )
  })

  it('shows a run still in progress and an empty run without failing', () => {
    expect(renderTimeline(events.slice(0, 6), { width: 10 })).toContain('… running')
    expect(renderTimeline([])).toContain('running')
  })
})

describe('toMermaid', () => {
  it('gives a gantt chart with ms offsets, failed steps as crit, and safe task names', () => {
    expect(toMermaid(events)).toBe(
      [
        'gantt',
        '  title checkout (error)',
        '  dateFormat x',
        '  axisFormat %S.%L s',
        '  section fetch user',
        '  fetch user :done, s1, 0, 20',
        '  section fan out',
        '  fan out :done, s2, 20, 60',
        '  fan out[0] :done, s3, 20, 50',
        '  fan out[1] (cancelled) :active, s4, 20, 60',
        '  section price quote 1',
        '  price quote 1 (timeout) :crit, s5, 60, 100',
      ].join('\n'),
    )
  })
})

describe('timeline review regressions', () => {
  it('draws a child under its group even when an unrelated step started in between', () => {
    const interleaved: WorkflowEvent[] = [
      { ...base, type: 'workflow_start', ts: t0 },
      { ...step('s1', 'fan', 'all'), type: 'step_start', ts: t0 },
      { ...step('s2', 'fan[0]', 'child', 's1'), type: 'step_start', ts: t0 },
      { ...step('s3', 'side'), type: 'step_start', ts: t0 + 1 },
      { ...step('s2', 'fan[0]', 'child', 's1'), type: 'step_success', ts: t0 + 5, durationMs: 5 },
      { ...step('s4', 'fan[1]', 'child', 's1'), type: 'step_start', ts: t0 + 5 },
      { ...step('s3', 'side'), type: 'step_success', ts: t0 + 6, durationMs: 5 },
      { ...step('s4', 'fan[1]', 'child', 's1'), type: 'step_success', ts: t0 + 10, durationMs: 5 },
      { ...step('s1', 'fan', 'all'), type: 'step_success', ts: t0 + 10, durationMs: 10 },
      { ...base, type: 'workflow_success', ts: t0 + 10, durationMs: 10 },
    ]
    const rows = renderTimeline(interleaved, { width: 10 })
      .split('\n')
      .slice(1)
      .map((l) => l.split('│')[0]?.trimEnd())
    expect(rows).toEqual(['fan', '  fan[0]', '  fan[1]', 'side'])
    expect(toMermaid(interleaved).split('\n').slice(4)).toEqual([
      '  section fan',
      '  fan :done, s1, 0, 10',
      '  fan[0] :done, s2, 0, 5',
      '  fan[1] :done, s4, 5, 10',
      '  section side',
      '  side :done, s3, 1, 6',
    ])
  })

  it('copes with a sliced log (an end without its start)', () => {
    const sliced = events.slice(3)
    expect(() => renderTimeline(sliced)).not.toThrow()
    expect(() => toMermaid(sliced)).not.toThrow()
  })

  it('draws 150,000 steps (more rows than a spread of arguments can hold), one row each', () => {
    // Plain literals, not spreads: building 300,000 events was most of this test's time.
    const many: WorkflowEvent[] = new Array(300_000)
    for (let i = 0; i < 150_000; i++) {
      const stepId = `s${i}`
      const name = `n${i}`
      many[2 * i] = {
        type: 'step_start',
        runId: 'run-1',
        workflow: 'checkout',
        stepId,
        name,
        kind: 'step',
        attempt: 1,
        ts: t0 + i,
      }
      many[2 * i + 1] = {
        type: 'step_success',
        runId: 'run-1',
        workflow: 'checkout',
        stepId,
        name,
        kind: 'step',
        attempt: 1,
        ts: t0 + i + 1,
        durationMs: 1,
      }
    }
    const lines = renderTimeline(many, { width: 10 }).split('\n')
    expect(lines).toHaveLength(150_001)
    expect(lines[150_000]).toMatch(/^n149999 +│ +█│ ✓ 1\.00 ms$/)
  })

  it('draws each run apart when one events array holds two runs (step ids repeat across runs)', () => {
    const other = events.map((e) => ({ ...e, runId: 'run-2', workflow: 'refund', ts: e.ts + 1_000 }))
    const both = [...events.slice(0, 5), ...other, ...events.slice(5)]
    const text = renderTimeline(both, { width: 20 })
    const one = renderTimeline(events, { width: 20 })
    expect(text).toBe(`${one}\n\n${one.replace('checkout  run run-1', 'refund  run run-2')}`)
  })

  it('toMermaid refuses events of two runs with a message saying what to pass', () => {
    const other = events.map((e) => ({ ...e, runId: 'run-2' }))
    expect(() => toMermaid([...events, ...other])).toThrow(RangeError)
    expect(() => toMermaid([...events, ...other])).toThrow(/2 runs \("run-1", "run-2"\).*events\.filter/)
  })

  it('garbage input throws a TypeError naming the function and the bad event', () => {
    expect(() => renderTimeline(null as never)).toThrow(
      new TypeError('renderTimeline: events must be an array of workflow events'),
    )
    expect(() => toMermaid([events[0], 42] as never)).toThrow(
      new TypeError('toMermaid: events[1] is not a workflow event (not an object)'),
    )
    expect(() => renderTimeline([{ ...events[1], type: 'nope' }] as never)).toThrow(/events\[0\].*unknown `type`/)
    expect(() => renderTimeline(events, { width: Number.NaN })).toThrow(/width must be a number/)
  })
})
