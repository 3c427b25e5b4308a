// Compensation on workers, the same suite for memoryStore, fileStore (test/workflow/compensate.test.ts)
// and postgresStore (test/postgres/compensate.test.ts): client.cancel of a running run, and of a
// run sleeping off its worker (a long sleep, a waitFor, step.map children).
import { err, ok, okAsync, type Result } from 'neverthrow'
import { describe, expect, it } from 'vitest'
import {
  CancelledError,
  CompensatedError,
  createClient,
  createWorker,
  defineTask,
  defineWorkflow,
  type RunStore,
  renderTimeline,
  type WorkflowBody,
} from '../../src/index.js'
import { until } from '../helpers.js'
import { stateOf } from '../runs/primitives-suite.js'

/** Waits on its signal forever: ends only by an abort (err 'aborted'). */
const hang = ({ signal }: { signal: AbortSignal }) =>
  new Promise<Result<never, 'aborted'>>((resolve) =>
    signal.addEventListener('abort', () => resolve(err('aborted' as const)), { once: true }),
  )
const deps = { hang }
type Deps = typeof deps

/** The run's error, which must be a CompensatedError. */
function compensatedOf(r: Result<unknown, unknown>): CompensatedError {
  const e = r._unsafeUnwrapErr()
  expect(e).toBeInstanceOf(CompensatedError)
  return e as CompensatedError
}

export function workerCompensationSuite(label: string, makeStore: () => Promise<RunStore>): void {
  describe(`compensation on a worker (${label})`, () => {
    it('client.cancel: the compensations run before the run ends cancelled; result() answers the CompensatedError', async () => {
      const store = await makeStore()
      const log: string[] = []
      let inSlow = false
      const wf = defineWorkflow('trip', { hang }, async (step, d, input: { id: string }) => {
        await step(() => okAsync(`hotel-${input.id}`), {
          name: 'hotel',
          compensate: (v) => {
            log.push(`cancel ${v}`)
            return okAsync(undefined)
          },
        })
        await step(
          (ctx) => {
            inSlow = true
            return d.hang(ctx)
          },
          { name: 'flight' },
        )
        return 'booked'
      })
      const client = createClient(store, { pollMs: 5 })
      const worker = createWorker(store, [wf], { pollMs: 5 })
      await worker.start()
      const started = (await client.start(wf, { id: '7' }))._unsafeUnwrap()
      await until(() => inSlow)
      await client.cancel(started.runId)
      const r = await client.result(started.runId, { timeoutMs: 5000 })
      await worker.close()
      const e = compensatedOf(r)
      expect(e.error).toBeInstanceOf(CancelledError)
      expect(e.compensated).toEqual(['hotel'])
      expect(log).toEqual(['cancel hotel-7'])
      expect((await client.get(started.runId))._unsafeUnwrap().state).toBe('cancelled')
      expect(worker.metrics().cancelled).toBe(1)
      // Its history (what `okflow runs timeline` draws) shows the compensation as a step.
      const history = (await client.history(started.runId))._unsafeUnwrap()
      expect(history.filter((x) => x.type === 'step_start').map((x) => [x.name, x.kind])).toEqual([
        ['hotel', 'step'],
        ['undo hotel', 'compensate'],
      ])
      const last = history.at(-1)
      expect(last?.type).toBe('workflow_cancelled')
      expect(last?.type === 'workflow_cancelled' && last.error).toBeInstanceOf(CompensatedError)
      expect(renderTimeline([...history])).toContain('undo hotel')
    })
  })

  describe(`a run cancelled while it sleeps off its worker is compensated (${label})`, () => {
    /** Two compensable steps, then `wait` (which suspends the run); logs what ran. */
    const sagaThen = (
      name: string,
      log: string[],
      wait: (step: Parameters<WorkflowBody<Deps, string>>[0]) => Promise<unknown>,
    ) =>
      defineWorkflow(name, deps, async (step) => {
        const undo = (what: string) => (v: unknown) => {
          log.push(`${what}(${JSON.stringify(v)})`)
          return ok(undefined)
        }
        await step(() => ok('h-1'), { name: 'hotel', compensate: undo('cancel hotel') })
        await step(() => ok('f-2'), { name: 'flight', compensate: undo('cancel flight') })
        await wait(step)
        await step(() => ok(log.push('after')), { name: 'after', compensate: undo('undo after') })
        return 'booked'
      })

    it('client.cancel of a run in a 1-hour step.sleep: both compensations run once, in reverse order; it ends cancelled with the CompensatedError', async () => {
      const store = await makeStore()
      const log: string[] = []
      const wf = sagaThen('trip-sleep', log, (step) => step.sleep('cool off', 3_600_000))
      const worker = createWorker(store, [wf], { pollMs: 5 })
      await worker.start()
      const client = createClient(store, { pollMs: 5 })
      await client.start(wf, null, { runId: 'ts1' })
      const sleeping = await stateOf(store, 'ts1', 'sleeping')
      // The compensable steps' records say so; the sleep's does not.
      expect((await store.load('ts1')).map((x) => [x.key, x.undo ?? false])).toEqual([
        ['hotel', true],
        ['flight', true],
        ['cool off', false],
      ])
      const answered = (await client.cancel('ts1'))._unsafeUnwrap()
      // Not cancelled at once: it has compensations to run, so it is due now, for a worker.
      expect(answered).toMatchObject({ state: 'sleeping', cancelRequested: true })
      expect(answered.dueAt ?? 0).toBeLessThan(sleeping.dueAt ?? 0)
      const e = compensatedOf(await client.result('ts1', { timeoutMs: 10_000 }))
      expect(e.error).toBeInstanceOf(CancelledError)
      expect([e.compensated, e.failed, e.interrupted]).toEqual([['flight', 'hotel'], [], []])
      expect(log).toEqual(['cancel flight("f-2")', 'cancel hotel("h-1")'])
      expect(await store.getRun('ts1')).toMatchObject({ state: 'cancelled', claims: 2 })
      // Its outcome is recorded: the replay answers it, nothing runs again.
      expect((await client.result('ts1', { timeoutMs: 1000 }))._unsafeUnwrapErr()).toBeInstanceOf(CompensatedError)
      await worker.close()
      expect(log).toHaveLength(2)
      expect(worker.metrics()).toMatchObject({ suspended: 1, cancelled: 1, failed: 0, running: 0 })
    })

    it('client.cancel of a run in a step.waitFor with no event yet: compensated the same way; a later emit changes nothing', async () => {
      const store = await makeStore()
      const log: string[] = []
      const wf = sagaThen('trip-wait', log, (step) => step.waitFor('approval', 'approve:w1'))
      const worker = createWorker(store, [wf], { pollMs: 5 })
      await worker.start()
      const client = createClient(store, { pollMs: 5 })
      await client.start(wf, null, { runId: 'tw1' })
      await stateOf(store, 'tw1', 'sleeping')
      expect((await client.cancel('tw1'))._unsafeUnwrap().state).toBe('sleeping')
      const e = compensatedOf(await client.result('tw1', { timeoutMs: 10_000 }))
      expect(e.error).toBeInstanceOf(CancelledError)
      expect(e.compensated).toEqual(['flight', 'hotel'])
      expect(log).toEqual(['cancel flight("f-2")', 'cancel hotel("h-1")'])
      expect((await client.get('tw1'))._unsafeUnwrap().state).toBe('cancelled')
      ;(await client.emit('approve:w1', 'yes'))._unsafeUnwrap()
      await new Promise((r) => setTimeout(r, 30))
      expect((await client.get('tw1'))._unsafeUnwrap().state).toBe('cancelled')
      await worker.close()
      expect(log).toHaveLength(2)
    })

    it('client.cancel of a run waiting for its step.map children: the children are cancelled, the parent compensates', async () => {
      const store = await makeStore()
      const log: string[] = []
      let running = 0
      const slow = defineTask('slow-child', (_: number, { signal }: { signal: AbortSignal }) => {
        running++
        return new Promise<Result<number, 'aborted'>>((resolve) =>
          signal.addEventListener('abort', () => resolve(err('aborted')), { once: true }),
        )
      })
      const wf = sagaThen('trip-map', log, (step) => step.map('fan out', [1, 2], slow))
      const worker = createWorker(store, [wf, slow], { pollMs: 5, concurrency: 4 })
      await worker.start()
      const client = createClient(store, { pollMs: 5 })
      await client.start(wf, null, { runId: 'tm1' })
      await stateOf(store, 'tm1', 'sleeping')
      await until(() => running === 2)
      expect((await client.cancel('tm1'))._unsafeUnwrap().state).toBe('sleeping')
      const e = compensatedOf(await client.result('tm1', { timeoutMs: 10_000 }))
      expect(e.error).toBeInstanceOf(CancelledError)
      expect(e.compensated).toEqual(['flight', 'hotel'])
      expect(log).toEqual(['cancel flight("f-2")', 'cancel hotel("h-1")'])
      await stateOf(store, 'tm1/2.0', 'cancelled')
      await stateOf(store, 'tm1/2.1', 'cancelled')
      await worker.close()
    })

    it('a sleeping run with no compensable step is still cancelled at once (no worker needed)', async () => {
      const store = await makeStore()
      const ran: string[] = []
      const wf = defineWorkflow('plain-sleep', deps, async (step) => {
        await step(() => ok(ran.push('a')), { name: 'a' })
        await step.sleep('nap', 3_600_000)
        return 'never'
      })
      const worker = createWorker(store, [wf], { pollMs: 5 })
      await worker.start()
      const client = createClient(store, { pollMs: 5 })
      await client.start(wf, null, { runId: 'ps1' })
      await stateOf(store, 'ps1', 'sleeping')
      await worker.close()
      expect((await client.cancel('ps1'))._unsafeUnwrap()).toMatchObject({ state: 'cancelled', cancelRequested: true })
      expect((await client.result('ps1', { timeoutMs: 1000 }))._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
      expect(ran).toEqual(['a'])
    })
  })
}
