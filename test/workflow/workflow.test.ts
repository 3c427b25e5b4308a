import { err, ok, type Result, ResultAsync } from 'neverthrow'
import { describe, expect, it, vi } from 'vitest'
import {
  CancelledError,
  createWorkflow,
  InvalidOptionsError,
  memoryStore,
  TimeoutError,
  UnexpectedError,
  type WorkflowBody,
  type WorkflowEvent,
  WorkflowExit,
} from '../../src/index.js'
import { expectNoLeaks, later, probe } from '../helpers.js'

type NotFound = { _tag: 'NotFound'; id: number }
type Declined = { _tag: 'Declined' }

const deps = {
  fetchUser: (id: number, signal?: AbortSignal): ResultAsync<{ id: number }, NotFound | 'aborted'> =>
    new ResultAsync(later(5, id > 0 ? ok({ id }) : err({ _tag: 'NotFound' as const, id }), signal)),
  charge: (amount: number): Promise<Result<string, Declined>> =>
    Promise.resolve(amount < 100 ? ok(`receipt-${amount}`) : err({ _tag: 'Declined' as const })),
}

function recorded(name = 'checkout') {
  const events: WorkflowEvent[] = []
  const wf = createWorkflow(deps, { name, onEvent: (e) => events.push(e) })
  return { wf, events }
}

describe('createWorkflow', () => {
  it('runs steps, returns the body value, and emits ordered, paired events', async () => {
    const { wf, events } = recorded()
    const r = await expectNoLeaks(() =>
      wf(async (step, d) => {
        const user = await step(({ signal }) => d.fetchUser(7, signal), { name: 'fetch user' })
        const receipt = await step(() => d.charge(10), { name: 'charge' })
        return { user, receipt }
      }),
    )
    expect(r._unsafeUnwrap()).toEqual({ user: { id: 7 }, receipt: 'receipt-10' })
    expect(events.map((e) => e.type)).toEqual([
      'workflow_start',
      'step_start',
      'step_success',
      'step_start',
      'step_success',
      'workflow_success',
    ])
    const [start, end] = events.filter((e) => 'stepId' in e && e.name === 'fetch user') as Extract<
      WorkflowEvent,
      { stepId: string }
    >[]
    expect(start?.stepId).toBe(end?.stepId)
    expect(events.every((e) => e.workflow === 'checkout' && e.runId === events[0]?.runId)).toBe(true)
    const ts = events.map((e) => e.ts)
    expect([...ts].sort((a, b) => a - b)).toEqual(ts)
  })

  it('ends the workflow with the first step err, typed, and runs no later step', async () => {
    const { wf, events } = recorded()
    const later2 = probe(1, ok('never'))
    const r = await wf(async (step, d) => {
      await step(() => d.charge(500), { name: 'charge' })
      return step(later2, { name: 'after' })
    })
    expect(r._unsafeUnwrapErr()).toEqual({ _tag: 'Declined' })
    expect(later2.state.started).toBe(0)
    expect(events.at(-1)).toMatchObject({ type: 'workflow_error', error: { _tag: 'Declined' } })
    expect(events.find((e) => e.type === 'step_error')).toMatchObject({ name: 'charge', error: { _tag: 'Declined' } })
  })

  it('a try/catch that swallows the exit changes nothing: still the step err, later steps refuse', async () => {
    const { wf } = recorded()
    const afterCatch = probe(1, ok(1))
    let caught: unknown
    const r = await wf(async (step, d) => {
      try {
        await step(({ signal }) => d.fetchUser(0, signal), { name: 'missing user' })
      } catch (e) {
        caught = e
      }
      await step(afterCatch, { name: 'after catch' }).catch(() => undefined)
      return 'swallowed'
    })
    expect(caught).toBeInstanceOf(WorkflowExit)
    expect(r._unsafeUnwrapErr()).toEqual({ _tag: 'NotFound', id: 0 })
    expect(afterCatch.state.started).toBe(0)
  })

  it('a step timeout gives TimeoutError with the step name and a step_timeout event, and aborts the step', async () => {
    const { wf, events } = recorded()
    const slow = probe(5_000, ok(1))
    const r = await expectNoLeaks(() => wf(async (step) => step(slow, { name: 'slow call', timeoutMs: 10 })))
    const e = r._unsafeUnwrapErr() as TimeoutError
    expect(e).toBeInstanceOf(TimeoutError)
    expect([e.ms, e.label]).toEqual([10, 'slow call'])
    expect(slow.state.aborted).toBe(true)
    expect(events.find((x) => x.type === 'step_timeout')).toMatchObject({ name: 'slow call', ms: 10 })
  })

  it('retries a step, with step_retry events and attempt numbers', async () => {
    const { wf, events } = recorded()
    let calls = 0
    const r = await wf(async (step) =>
      step(({ attempt }) => (++calls < 3 ? err({ _tag: 'NotFound' as const, id: attempt }) : ok(attempt)), {
        name: 'flaky',
        retry: { attempts: 5 },
      }),
    )
    expect(r._unsafeUnwrap()).toBe(3)
    const retries = events.filter((e) => e.type === 'step_retry')
    expect(retries.map((e) => (e as { attempt: number }).attempt)).toEqual([1, 2])
    expect(events.find((e) => e.type === 'step_success')).toMatchObject({ attempt: 3 })
  })

  it('step.all: typed tuple, children nested under the group, and a failing child aborts its siblings', async () => {
    const { wf, events } = recorded()
    const ok1 = await wf(async (step, d) =>
      step.all('fan out', [({ signal }) => d.fetchUser(1, signal), () => d.charge(5)]),
    )
    expect(ok1._unsafeUnwrap()).toEqual([{ id: 1 }, 'receipt-5'])
    const group = events.find((e) => e.type === 'step_start' && e.kind === 'all') as { stepId: string }
    const children = events.filter((e) => e.type === 'step_start' && e.kind === 'child')
    expect(children.map((c) => (c as { parentId?: string }).parentId)).toEqual([group.stepId, group.stepId])
    // children end before their group does
    const groupEnd = events.findIndex((e) => e.type === 'step_success' && e.stepId === group.stepId)
    const lastChildEnd = events.findLastIndex((e) => e.type === 'step_success' && e.kind === 'child')
    expect(lastChildEnd).toBeLessThan(groupEnd)

    const sibling = probe(5_000, ok('slow'))
    const { wf: wf2, events: ev2 } = recorded()
    const failed = await expectNoLeaks(() =>
      wf2(async (step, d) => step.all('fan out', [sibling, () => d.charge(1_000)])),
    )
    expect(failed._unsafeUnwrapErr()).toEqual({ _tag: 'Declined' })
    expect(sibling.state.aborted).toBe(true)
    const cancelledChild = ev2.find(
      (e) => e.type === 'step_error' && e.kind === 'child' && e.error instanceof CancelledError,
    )
    expect(cancelledChild).toBeDefined()
  })

  it('step.any and step.race pick the first ok / first settled', async () => {
    const { wf } = recorded()
    const r = await wf(async (step) => {
      const fastest = await step.any('mirrors', { eu: () => later(20, ok('eu')), us: () => later(1, ok('us')) })
      const first = await step.race('race', [() => later(1, ok(1)), () => later(30, ok(2))])
      return [fastest, first]
    })
    expect(r._unsafeUnwrap()).toEqual(['us', 1])
  })

  it('early exit aborts a step still running in parallel', async () => {
    const { wf, events } = recorded()
    const slow = probe(5_000, ok('slow'))
    const r = await expectNoLeaks(() =>
      wf(async (step, d) => {
        await Promise.all([step(slow, { name: 'slow' }), step(() => d.charge(1_000), { name: 'charge' })])
        return 'unreachable'
      }),
    )
    expect(r._unsafeUnwrapErr()).toEqual({ _tag: 'Declined' })
    expect(slow.state.aborted).toBe(true)
    // the slow step is closed (as cancelled) before the terminal event, and nothing follows it
    const slowEnd = events.findIndex((e) => e.type === 'step_error' && e.name === 'slow')
    expect(slowEnd).toBeGreaterThan(-1)
    expect(events.at(-1)?.type).toBe('workflow_error')
  })

  it('a workflow timeout returns TimeoutError at once and aborts the running step', async () => {
    const slow = probe(5_000, ok(1))
    const events: WorkflowEvent[] = []
    const wf = createWorkflow(deps, { name: 'slowflow', timeoutMs: 15, onEvent: (e) => events.push(e) })
    const r = await expectNoLeaks(() => wf(async (step) => step(slow, { name: 'slow' })))
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(TimeoutError)
    expect(slow.state.aborted).toBe(true)
    expect(events.at(-1)?.type).toBe('workflow_error')
  })

  it('an aborted signal returns CancelledError even when the step answers the abort with its own error', async () => {
    const c = new AbortController()
    const events: WorkflowEvent[] = []
    const wf = createWorkflow(deps, { signal: c.signal, onEvent: (e) => events.push(e) })
    setTimeout(() => c.abort('user left'), 5)
    const r = await wf(async (step) =>
      step(
        ({ signal }) =>
          new Promise<Result<number, NotFound>>((resolve) =>
            signal.addEventListener('abort', () => resolve(err({ _tag: 'NotFound', id: -1 }))),
          ),
        { name: 'waits' },
      ),
    )
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    expect((r._unsafeUnwrapErr() as CancelledError).reason).toBe('user left')
    expect(events.at(-1)?.type).toBe('workflow_cancelled')
  })

  it('a throw in the body becomes UnexpectedError; a throwing listener is ignored', async () => {
    const wf = createWorkflow(deps, {
      onEvent: () => {
        throw new Error('bad listener')
      },
    })
    const r = await wf(async () => {
      throw new Error('bug')
    })
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(UnexpectedError)
    expect(((r._unsafeUnwrapErr() as UnexpectedError).cause as Error).message).toBe('bug')
  })

  it('step.sleep is abortable and shown as a step', async () => {
    const c = new AbortController()
    const { wf, events } = recorded()
    setTimeout(() => c.abort(), 5)
    const r = await expectNoLeaks(() => wf(async (step) => step.sleep('wait', 10_000), { signal: c.signal }))
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    expect(events.find((e) => e.type === 'step_start')).toMatchObject({ kind: 'sleep', name: 'wait' })
  })

  it('bad options come back as InvalidOptionsError naming the option', async () => {
    const wf = createWorkflow(deps, { timeoutMs: -1 })
    expect((await wf(async () => 1))._unsafeUnwrapErr()).toMatchObject({ option: 'timeoutMs' })
    const { wf: wf2 } = recorded()
    const r = await wf2(async (step) => step(() => ok(1), { retry: { attempts: 0 } }))
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(InvalidOptionsError)
    expect(r._unsafeUnwrapErr()).toMatchObject({ option: 'retry.attempts' })
  })
})

describe('workflow review regressions', () => {
  it('per-run options left undefined do not erase the workflow options', async () => {
    const events: WorkflowEvent[] = []
    const wf = createWorkflow(deps, { signal: AbortSignal.abort('closed'), onEvent: (e) => events.push(e) })
    const r = await wf(async () => 'ran', { signal: undefined, onEvent: undefined })
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    expect(events.at(-1)?.type).toBe('workflow_cancelled')
  })

  it('step.withTimeout needs ms; step.sleep refuses Infinity; null options are fine', async () => {
    const { wf } = recorded()
    const noMs = await wf(async (step) => step.withTimeout(() => ok(1), { name: 'x' } as never))
    expect(noMs._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option: 'ms' })
    const forever = await wf(async (step) => step.sleep('forever', Number.POSITIVE_INFINITY))
    expect(forever._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option: 'ms' })
    const nullOpts = await wf(async (step) => step(() => ok(2), null as never))
    expect(nullOpts._unsafeUnwrap()).toBe(2)
  })

  it('many parallel plain steps stay linear (no scan of open steps per step end)', async () => {
    // Counts every element any Set or Map iterator hands out while the run goes: a scan of the
    // open steps at each step end would visit ~n²/2 = 200,000,000 of them for n = 20,000.
    let visited = 0
    const patched: [object, PropertyKey, unknown][] = []
    for (const proto of [Set.prototype, Map.prototype]) {
      for (const key of [Symbol.iterator, 'values', 'keys', 'entries'] as const) {
        const original = (proto as unknown as Record<PropertyKey, () => Iterator<unknown>>)[
          key
        ] as () => Iterator<unknown>
        patched.push([proto, key, original])
        Object.defineProperty(proto, key, {
          configurable: true,
          writable: true,
          value: function (this: object) {
            const it = original.call(this)
            return {
              next: () => {
                const r = it.next()
                if (!r.done) visited++
                return r
              },
              [Symbol.iterator]() {
                return this
              },
            }
          },
        })
      }
    }
    const n = 20_000
    let r: Result<number[], unknown>
    try {
      const { wf } = recorded()
      r = await wf(async (step) => Promise.all(Array.from({ length: n }, (_, i) => step(() => later(1, ok(i))))))
    } finally {
      for (const [proto, key, original] of patched)
        Object.defineProperty(proto, key, { configurable: true, writable: true, value: original })
    }
    expect(r._unsafeUnwrap()).toHaveLength(n)
    expect(visited).toBeLessThan(4 * n)
  })
})

describe('step labels, cancellation and group inputs', () => {
  it('a step with both timeoutMs and retry gives a TimeoutError labelled with the step name', async () => {
    vi.useFakeTimers()
    try {
      const { wf, events } = recorded()
      const slow = probe(10_000, ok(1))
      const run = wf(async (step) => step(slow, { name: 'flaky call', timeoutMs: 100, retry: { attempts: 2 } }))
      await vi.advanceTimersByTimeAsync(250)
      const e = (await run)._unsafeUnwrapErr() as TimeoutError
      expect(e).toBeInstanceOf(TimeoutError)
      expect([e.ms, e.label]).toEqual([100, 'flaky call'])
      expect(slow.state.started).toBe(2)
      expect(events.filter((x) => x.type === 'step_retry')).toHaveLength(1)
    } finally {
      vi.useRealTimers()
    }
  })

  it('a cancelled run refuses every later step at once, in the same tick as the abort', async () => {
    const c = new AbortController()
    const second = probe(1, ok(2))
    let refused: unknown
    const { wf } = recorded()
    const r = await wf(
      async (step) => {
        await step(() => ok(1), { name: 'first' })
        c.abort('user left')
        // No await in between: the refusal must not wait for the run to notice the abort.
        await step(second, { name: 'second' }).catch((e) => {
          refused = e
        })
        return 'done'
      },
      { signal: c.signal },
    )
    expect(second.state.started).toBe(0)
    expect(refused).toBeInstanceOf(WorkflowExit)
    expect((refused as WorkflowExit).error).toBeInstanceOf(CancelledError)
    expect(r._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
  })

  it('a cancelled durable run starts no step after the cancel, and its resume runs only the rest', async () => {
    const store = memoryStore()
    const c = new AbortController()
    let started = 0
    const body: WorkflowBody<object, number> = async (step) => {
      let sum = 0
      for (let i = 0; i < 50; i++) {
        if (i === 10) c.abort('stop at 10')
        sum += await step(
          () => {
            started++
            return ok(i)
          },
          { name: `s${i}` },
        )
      }
      return sum
    }
    const first = await createWorkflow({}, { store, runId: 'cancel-50' })(body, { signal: c.signal })
    expect(first._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    expect(started).toBe(10)
    const resumed = await createWorkflow({}, { store, runId: 'cancel-50' })(body)
    expect(resumed._unsafeUnwrap()).toBe((49 * 50) / 2)
    expect(started).toBe(50)
  })

  it('step.all/any/race refuse a Set, a Map, a generator or a number as inputs instead of running nothing', async () => {
    const { wf } = recorded()
    const task = probe(1, ok(1))
    function* gen() {
      yield task
    }
    for (const inputs of [new Set([task]), new Map([['a', task]]), gen(), 0, 'ab', null]) {
      for (const kind of ['all', 'any', 'race'] as const) {
        const r = await wf(async (step) => step[kind]('g', inputs as never))
        expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option: 'inputs' })
      }
    }
    expect(task.state.started).toBe(0)
  })

  it('a plain step gets the run signal, aborted when the run ends; spreading the context keeps it', async () => {
    let seen: { signal: AbortSignal; attempt: number } | undefined
    const { wf } = recorded()
    const r = await wf(async (step) =>
      step((ctx) => {
        seen = { ...ctx }
        return ok(ctx.signal.aborted)
      }),
    )
    expect(r._unsafeUnwrap()).toBe(false)
    expect(seen?.attempt).toBe(1)
    expect(seen?.signal).toBeInstanceOf(AbortSignal)
    expect(seen?.signal.aborted).toBe(true)
  })
})
