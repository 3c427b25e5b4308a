// Types of step.waitFor, step.sleep and client.emit.
import { describe, expectTypeOf, it } from 'vitest'
import {
  createClient,
  createWorkflow,
  defineWorkflow,
  type EmitResult,
  type InvalidOptionsError,
  type JsonValue,
  memoryStore,
  type ResultAsync,
  type StoreError,
  type WaitForOptions,
} from '../../src/index.js'

interface Approval {
  readonly approved: boolean
  readonly by: string
}

describe('step.waitFor', () => {
  it('resolves to JsonValue by default, or to the payload type given', () => {
    const wf = createWorkflow({}, { store: memoryStore(), runId: 'r' })
    void wf(async (step) => {
      expectTypeOf(await step.waitFor('w', 'k')).toEqualTypeOf<JsonValue>()
      // An interface (not only a type alias) is fine as the payload type.
      const a = await step.waitFor<Approval>('approval', 'approve:1', { timeoutMs: 1000, key: 'approval:v1' })
      expectTypeOf(a).toEqualTypeOf<Approval>()
      expectTypeOf(await step.sleep('nap', 10)).toEqualTypeOf<void>()
      return a.by
    })
  })

  it('its options are a timeout and a key, nothing else', () => {
    expectTypeOf<WaitForOptions>().toEqualTypeOf<{ timeoutMs?: number | undefined; key?: string | undefined }>()
    const wf = createWorkflow({}, { store: memoryStore(), runId: 'r' })
    void wf(async (step) => {
      // @ts-expect-error: the event key is required
      await step.waitFor('w')
      // @ts-expect-error: not an option of waitFor
      await step.waitFor('w', 'k', { concurrency: 2 })
      // @ts-expect-error: the key is a string
      await step.waitFor('w', 42)
    })
  })

  it('in a registered workflow, the result type carries the payload type', () => {
    const wf = defineWorkflow('approve', {}, async (step, _deps, input: { order: string }) => {
      const a = await step.waitFor<Approval>('approval', `approve:${input.order}`)
      return a.approved
    })
    const client = createClient(memoryStore())
    void client.start(wf, { order: '1' }).map(async (run) => {
      const r = await client.result(run.runId)
      if (r.isOk()) expectTypeOf(r.value).toEqualTypeOf<boolean>()
    })
  })
})

describe('client.emit', () => {
  it('answers { first } or a typed err', () => {
    const client = createClient(memoryStore())
    expectTypeOf(client.emit('k', { any: ['json'] })).toEqualTypeOf<
      ResultAsync<EmitResult, StoreError | InvalidOptionsError>
    >()
    expectTypeOf<EmitResult>().toEqualTypeOf<{ readonly first: boolean }>()
    // @ts-expect-error: the key is a string
    void client.emit(1, null)
  })
})
