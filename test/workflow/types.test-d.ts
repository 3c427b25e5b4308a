import { err, ok, type Result, type ResultAsync } from 'neverthrow'
import { match, P } from 'ts-pattern'
import { describe, expectTypeOf, it } from 'vitest'
import {
  type AllFailedError,
  type CancelledError,
  type CompensatedError,
  createWorkflow,
  type InvalidOptionsError,
  type LibraryError,
  type QueueFullError,
  type TaskFailedError,
  type TimeoutError,
  type UndeclaredStepError,
  type UnexpectedError,
  type WorkerCrashedError,
  type WorkflowFailure,
} from '../../src/index.js'
import type { WorkerPool, WorkerTasks } from '../../src/worker/index.js'

type User = { id: number }
type NotFound = { _tag: 'NotFound' }
type Declined = { _tag: 'Declined' }
type Untracked = { _tag: 'Untracked' }
declare const fetchUser: (id: number, signal?: AbortSignal) => ResultAsync<User, NotFound>
declare const chargeCard: (user: User) => Promise<Result<string, Declined>>
declare const other: () => ResultAsync<number, Untracked>

type Parts<R> = R extends ResultAsync<infer T, infer E> ? { ok: T; err: E } : never

describe('workflow types', () => {
  it('infers the error union from the deps, plus the library errors', () => {
    const checkout = createWorkflow({ fetchUser, chargeCard, config: { retries: 3 } })
    const r = checkout(async (step, deps) => {
      const user = await step(({ signal }) => deps.fetchUser(1, signal), { name: 'user' })
      expectTypeOf(user).toEqualTypeOf<User>()
      const receipt = await step(() => deps.chargeCard(user))
      expectTypeOf(receipt).toEqualTypeOf<string>()
      expectTypeOf(deps.config.retries).toEqualTypeOf<number>()
      return { user, receipt }
    })
    expectTypeOf<Parts<typeof r>['ok']>().toEqualTypeOf<{ user: User; receipt: string }>()
    type Failure = NotFound | Declined | LibraryError | AllFailedError<NotFound | Declined | LibraryError>
    type Expected = Failure | CompensatedError<Failure>
    expectTypeOf<Parts<typeof r>['err']>().toEqualTypeOf<Expected>()
    expectTypeOf<LibraryError>().toEqualTypeOf<
      | UnexpectedError
      | TimeoutError
      | CancelledError
      | InvalidOptionsError
      | QueueFullError
      | WorkerCrashedError
      | TaskFailedError
    >()
  })

  it('a step written inline keeps ok types; parallel groups give tuples and records', () => {
    const wf = createWorkflow({ fetchUser })
    wf(async (step, deps) => {
      const n = await step(() => ok(1))
      expectTypeOf(n).toEqualTypeOf<number>()
      const mixed = await step(async ({ attempt }) => (attempt > 1 ? ok('x') : err({ _tag: 'NotFound' } as NotFound)))
      expectTypeOf(mixed).toEqualTypeOf<string>()
      const [a, b] = await step.all('both', [() => deps.fetchUser(1), () => ok(2 as const)])
      expectTypeOf(a).toEqualTypeOf<User>()
      expectTypeOf(b).toEqualTypeOf<2>()
      const rec = await step.all('rec', { u: () => deps.fetchUser(2) })
      expectTypeOf(rec).toEqualTypeOf<{ u: User }>()
      const first = await step.any('any', [() => deps.fetchUser(1), () => ok('s')])
      expectTypeOf(first).toEqualTypeOf<User | string>()
      await step.sleep('nap', 1)
      return n
    })
  })

  it('a step that can fail with an error the deps do not declare does not compile, even with its value unused', () => {
    const wf = createWorkflow({ fetchUser })
    wf(async (step) => {
      // @ts-expect-error Untracked is not an error of the deps: the union would lie
      await step(() => other())
      // @ts-expect-error likewise with a time limit
      await step.withTimeout(() => other(), { ms: 10 })
      // @ts-expect-error likewise inside a group (tuple and record)
      await step.all('g', [() => other()])
      // @ts-expect-error
      await step.any('g', { o: () => other() })
      // @ts-expect-error
      await step.race('g', [() => other(), () => ok(1)])
      return 1
    })
  })

  it('the error of an undeclared step names the undeclared errors, and its value keeps its type', () => {
    const listItems = (): ResultAsync<{ items: string[] }, Untracked> => ({}) as never
    const wf = createWorkflow({ fetchUser })
    wf(async (step) => {
      // @ts-expect-error the call is the one error: no "Property 'items' does not exist" follows
      const v = await step(() => listItems())
      expectTypeOf(v.items).toEqualTypeOf<string[]>()
      return v.items.length
    })
    expectTypeOf<UndeclaredStepError<Untracked>>().toEqualTypeOf<{
      readonly 'okflow: this step can fail with errors the workflow deps do not declare': Untracked
    }>()
  })

  it('mapping a helper error to a declared one compiles, and an exhaustive match on the workflow error is total', () => {
    const wf = createWorkflow({ fetchUser })
    const r = wf(async (step) => step(() => other().mapErr((): NotFound => ({ _tag: 'NotFound' }))))
    expectTypeOf<Parts<typeof r>['ok']>().toEqualTypeOf<number>()
    const describe = (e: Parts<typeof r>['err']) =>
      match(e)
        .with({ _tag: 'NotFound' }, () => 'nf')
        .with(
          { _tag: P.union('UnexpectedError', 'TimeoutError', 'CancelledError', 'InvalidOptionsError') },
          () => 'lib',
        )
        .with(
          { _tag: P.union('QueueFullError', 'WorkerCrashedError', 'TaskFailedError', 'AllFailedError') },
          () => 'lib',
        )
        .with({ _tag: 'CompensatedError' }, () => 'undone')
        .exhaustive()
    expectTypeOf(describe).returns.toEqualTypeOf<string>()
  })

  it('a worker pool in the deps adds its task errors; offload is typed by task name', () => {
    type Tasks = WorkerTasks<{
      sha256: (bytes: Uint8Array) => string
      find: (id: number) => Result<User, { _tag: 'Missing'; id: number }>
    }>
    const pool = {} as WorkerPool<Tasks>
    const wf = createWorkflow({ pool })
    const r = wf(async (step, deps) => {
      const digest = await step.offload('hash', deps.pool, 'sha256', new Uint8Array(1))
      expectTypeOf(digest).toEqualTypeOf<string>()
      const user = await step.offload('find', deps.pool, 'find', 1)
      expectTypeOf(user).toEqualTypeOf<User>()
      // @ts-expect-error wrong input type for the task
      await step.offload('bad', deps.pool, 'sha256', 42)
      // @ts-expect-error unknown task name
      await step.offload('bad', deps.pool, 'nope', 1)
      return digest
    })
    expectTypeOf<Extract<Parts<typeof r>['err'], { _tag: 'Missing' }>>().toMatchTypeOf<{
      _tag: 'Missing'
      id: number
    }>()
  })
})

describe('compensation types', () => {
  it('compensate gets the step value typed; the error union holds a CompensatedError of the inner failure', () => {
    const checkout = createWorkflow({ fetchUser, chargeCard })
    const r = checkout(async (step, deps) => {
      const user = await step(() => deps.fetchUser(1), {
        name: 'user',
        compensate: (u, ctx) => {
          expectTypeOf(u).toEqualTypeOf<User>()
          expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>()
          return ok(undefined)
        },
      })
      const receipt = await step(() => deps.chargeCard(user), {
        name: 'charge',
        compensate: async (id) => {
          expectTypeOf(id).toEqualTypeOf<string>()
          return err({ _tag: 'RefundFailed' as const })
        },
      })
      return receipt
    })
    type Failure = NotFound | Declined | LibraryError | AllFailedError<NotFound | Declined | LibraryError>
    type E = Parts<typeof r>['err']
    expectTypeOf<Extract<E, { _tag: 'CompensatedError' }>>().toEqualTypeOf<CompensatedError<Failure>>()
    expectTypeOf<
      WorkflowFailure<{ fetchUser: typeof fetchUser; chargeCard: typeof chargeCard }>
    >().toEqualTypeOf<Failure>()
    const undone = (e: E) =>
      match(e)
        .with({ _tag: 'CompensatedError' }, (x) => {
          expectTypeOf(x.error).toEqualTypeOf<Failure>()
          expectTypeOf(x.compensated).toEqualTypeOf<string[]>()
          expectTypeOf(x.failed).toEqualTypeOf<{ step: string; error: unknown }[]>()
          expectTypeOf(x.interrupted).toEqualTypeOf<string[]>()
          return x.compensated
        })
        .otherwise(() => [])
    expectTypeOf(undone).returns.toEqualTypeOf<string[]>()
  })

  it('a compensate that expects another value type does not compile', () => {
    createWorkflow({ fetchUser })(async (step, deps) =>
      // @ts-expect-error: the step's value is a User, not a string
      step(() => deps.fetchUser(1), { compensate: (v: string) => ok(v) }),
    )
    createWorkflow({ fetchUser })(async (step, deps) =>
      // @ts-expect-error: compensate must be a function
      step(() => deps.fetchUser(1), { compensate: 'undo' }),
    )
  })
})
