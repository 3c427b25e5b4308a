import { ok, type ResultAsync } from 'neverthrow'
import { describe, expectTypeOf, it } from 'vitest'
import {
  type AllFailedError,
  type CompensatedError,
  createWorkflow,
  type DurableError,
  fileStore,
  type JsonValue,
  type Lease,
  type LeaseLostError,
  type LibraryError,
  type MemoryStore,
  memoryStore,
  type ReplayMismatchError,
  type RunLockedError,
  type RunStore,
  type StepCodec,
  type StepRecord,
  type StoreError,
  type WorkflowOptions,
  type WorkflowStore,
} from '../../src/index.js'

type User = { id: number }
type NotFound = { _tag: 'NotFound' }
declare const fetchUser: (id: number) => ResultAsync<User, NotFound>
type Parts<R> = R extends ResultAsync<infer T, infer E> ? { ok: T; err: E } : never
type Failure = NotFound | LibraryError | AllFailedError<NotFound | LibraryError>
// A run whose completed steps had a `compensate` fails with a CompensatedError around the failure.
type Base = Failure | CompensatedError<Failure>

describe('durable workflow types', () => {
  it('a store adds the durable errors to the result; no store adds nothing', () => {
    const durable = createWorkflow({ fetchUser }, { store: memoryStore(), runId: 'r' })
    const r = durable(async (step, d) => step(() => d.fetchUser(1), { key: 'user-v1' }))
    expectTypeOf<Parts<typeof r>['ok']>().toEqualTypeOf<User>()
    expectTypeOf<Parts<typeof r>['err']>().toEqualTypeOf<Base | DurableError>()
    expectTypeOf<DurableError>().toEqualTypeOf<ReplayMismatchError | RunLockedError | StoreError | LeaseLostError>()

    const plain = createWorkflow({ fetchUser }, { name: 'plain', onEvent: (e) => expectTypeOf(e.ts).toBeNumber() })
    const p = plain(async (step, d) => step(() => d.fetchUser(1)))
    expectTypeOf<Parts<typeof p>['err']>().toEqualTypeOf<Base>()

    // Options whose store may or may not be set: the durable errors are possible, so they are in.
    const maybe: WorkflowOptions = {}
    const m = createWorkflow({ fetchUser }, maybe)(async (step, d) => step(() => d.fetchUser(1)))
    expectTypeOf<Parts<typeof m>['err']>().toEqualTypeOf<Base | DurableError>()
  })

  it('stores are WorkflowStores; the runId can come per run', () => {
    expectTypeOf(memoryStore()).toEqualTypeOf<MemoryStore>()
    expectTypeOf(memoryStore()).toExtend<WorkflowStore>()
    expectTypeOf(fileStore('/tmp/x')).toEqualTypeOf<RunStore>()
    expectTypeOf(fileStore('/tmp/x')).toExtend<WorkflowStore>()
    expectTypeOf(memoryStore()).toExtend<RunStore>()
    const wf = createWorkflow({}, { store: fileStore('/tmp/x') })
    wf(async () => 1, { runId: 'order-42' })
    // @ts-expect-error a store needs acquire, renew, release, load, append and reopen
    createWorkflow({}, { store: { load: async () => [] } })
    // @ts-expect-error keys are strings
    createWorkflow({})(async (step) => step(async () => ({ isOk: () => true }) as never, { key: 1 }))
  })

  it('durable options: leaseMs, retry; per step record and codec', () => {
    const wf = createWorkflow({}, { store: memoryStore(), runId: 'r', leaseMs: 10_000, retry: true })
    const bytes: StepCodec<Uint8Array> = {
      encode: (v) => Buffer.from(v).toString('base64'),
      decode: (j) => new Uint8Array(Buffer.from(String(j), 'base64')),
    }
    wf(async (step) => {
      const b = await step(async () => ok(new Uint8Array(1)), { name: 'b', codec: bytes })
      expectTypeOf(b).toExtend<Uint8Array>()
      await step(async () => ok(1), { record: false })
      // @ts-expect-error record is a boolean
      await step(async () => ok(1), { record: 'no' })
      // @ts-expect-error a codec has encode and decode
      await step(async () => ok(1), { codec: { encode: () => 1 } })
    })
    // @ts-expect-error retry is a boolean
    createWorkflow({}, { store: memoryStore(), runId: 'r', retry: 1 })
  })

  it('a custom store is a few typed async functions over JSON records', () => {
    const rows = new Map<string, StepRecord[]>()
    const sql: WorkflowStore = {
      acquire: async (runId, owner, leaseMs) => ({ runId, owner, fence: 1, expiresAt: Date.now() + leaseMs }),
      renew: async (lease, leaseMs) => ({ ...lease, expiresAt: Date.now() + leaseMs }),
      release: async (lease) => {
        expectTypeOf(lease).toEqualTypeOf<Lease>()
      },
      load: async (runId) => rows.get(runId) ?? [],
      append: async (lease, record) => {
        expectTypeOf(lease.fence).toBeNumber()
        expectTypeOf(record.seq).toBeNumber()
        expectTypeOf(record.key).toBeString()
        expectTypeOf(record.value).toEqualTypeOf<JsonValue | undefined>()
        expectTypeOf(record.startedAt).toEqualTypeOf<number | undefined>()
        rows.set(lease.runId, [...(rows.get(lease.runId) ?? []), record])
      },
      reopen: async () => {},
    }
    createWorkflow({}, { store: sql, runId: 'x' })
    expectTypeOf<WorkflowStore['appendMany']>().toEqualTypeOf<
      ((lease: Lease, records: readonly StepRecord[]) => Promise<void>) | undefined
    >()
  })
})
