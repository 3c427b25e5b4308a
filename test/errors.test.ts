import { match } from 'ts-pattern'
import { describe, expect, it } from 'vitest'
import { ERRORS } from '../src/errors.js'
import * as index from '../src/index.js'
import {
  AllFailedError,
  BulkheadRejectedError,
  CancelledError,
  CircuitOpenError,
  CompensatedError,
  DataCloneError,
  InvalidOptionsError,
  ItemFailedError,
  LeaseLostError,
  type OkflowError,
  QueueFullError,
  RateLimitedError,
  ReplayMismatchError,
  RunLockedError,
  RunNotFoundError,
  StageFailedError,
  StoreError,
  TaskFailedError,
  TimeoutError,
  UnexpectedError,
  WorkerCrashedError,
} from '../src/index.js'

// Exhaustive: adding an error class to OkflowError without a branch here fails to compile.
const describeError = (e: OkflowError): string =>
  match(e)
    .with({ _tag: 'UnexpectedError' }, (x) => `unexpected: ${String((x.cause as Error)?.message)}`)
    .with({ _tag: 'TimeoutError' }, (x) => `timeout ${x.ms} ${x.label ?? ''}`.trim())
    .with({ _tag: 'CancelledError' }, (x) => `cancelled: ${String(x.reason)}`)
    .with({ _tag: 'AllFailedError' }, (x) => `all ${x.errors.length} failed`)
    .with({ _tag: 'InvalidOptionsError' }, (x) => `bad ${x.option}`)
    .with({ _tag: 'QueueFullError' }, (x) => `queue full at ${x.maxQueue}`)
    .with({ _tag: 'WorkerCrashedError' }, (x) => `crashed ${x.exitCode}`)
    .with({ _tag: 'TaskFailedError' }, (x) => `remote ${x.remoteName}: ${x.message}`)
    .with({ _tag: 'ReplayMismatchError' }, (x) => `replay ${x.position}: ${x.expected} != ${x.actual}`)
    .with({ _tag: 'RunLockedError' }, (x) => `locked ${x.runId} by ${x.pid}`)
    .with({ _tag: 'StoreError' }, (x) => `store ${x.operation} ${x.runId}`)
    .with({ _tag: 'LeaseLostError' }, (x) => `lease of ${x.runId} lost at fence ${x.fence}`)
    .with({ _tag: 'ItemFailedError' }, (x) => `item ${x.index} failed`)
    .with({ _tag: 'RunNotFoundError' }, (x) => `no run ${x.runId}`)
    .with({ _tag: 'CircuitOpenError' }, (x) => `open for ${x.retryAfterMs}`)
    .with({ _tag: 'BulkheadRejectedError' }, (x) => `bulkhead ${x.concurrency}+${x.queue}`)
    .with({ _tag: 'RateLimitedError' }, (x) => `limited for ${x.retryAfterMs}`)
    .with({ _tag: 'DataCloneError' }, (x) => `not cloneable: ${x.message}`)
    .with({ _tag: 'StageFailedError' }, (x) => `stage ${x.stage} failed at ${x.index}`)
    .with(
      { _tag: 'CompensatedError' },
      (x) => `undone ${x.compensated.join('+')} after ${(x.error as Error).message}; ${x.failed.length} failed`,
    )
    .exhaustive()

describe('errors', () => {
  it('match exhaustively on _tag with ts-pattern', () => {
    expect(
      [
        UnexpectedError.from(new Error('boom')),
        new TimeoutError(50, 'fetch'),
        new CancelledError('user'),
        new AllFailedError(['a', 'b']),
        new InvalidOptionsError('concurrency', 0, 'an integer >= 1'),
        new QueueFullError(8),
        new WorkerCrashedError('died', { exitCode: 3 }),
        new TaskFailedError('RangeError', 'too big', 'RangeError: too big\n    at x'),
        new ReplayMismatchError('r1', 2, 'charge', 'refund'),
        new RunLockedError('r1', 42),
        new StoreError('append', 'r1', new Error('disk full')),
        new LeaseLostError('r1', 3),
        new ItemFailedError(4, 'nope'),
        new RunNotFoundError('r9'),
        new CircuitOpenError(250),
        new BulkheadRejectedError(4, 10),
        new RateLimitedError(100),
        new DataCloneError('fn'),
        new StageFailedError('parse', 3, 'bad'),
        new CompensatedError(new Error('declined'), ['reserve', 'charge'], [{ step: 'ship', error: 'x' }]),
      ].map(describeError),
    ).toEqual([
      'unexpected: boom',
      'timeout 50 fetch',
      'cancelled: user',
      'all 2 failed',
      'bad concurrency',
      'queue full at 8',
      'crashed 3',
      'remote RangeError: too big',
      'replay 2: charge != refund',
      'locked r1 by 42',
      'store append r1',
      'lease of r1 lost at fence 3',
      'item 4 failed',
      'no run r9',
      'open for 250',
      'bulkhead 4+10',
      'limited for 100',
      'not cloneable: fn',
      'stage parse failed at 3',
      'undone reserve+charge after declined; 1 failed',
    ])
  })

  it('CompensatedError says what the run failed with and how many compensations ran', () => {
    const e = new CompensatedError(new TimeoutError(5, 'pay'), ['reserve'], [{ step: 'charge', error: 'x' }], ['ship'])
    expect(e.message).toBe('TimeoutError: pay timed out after 5 ms; 3 compensations ran (1 failed, 1 interrupted)')
    expect(e.cause).toBe(e.error)
    expect(new CompensatedError('declined', ['a']).message).toBe('declined; 1 compensation ran')
    expect(new CompensatedError('declined', ['a']).interrupted).toEqual([])
  })

  it('one registry lists every error class: each is exported, and its key is its _tag and name', () => {
    for (const [tag, cls] of Object.entries(ERRORS)) {
      expect((index as Record<string, unknown>)[tag]).toBe(cls)
      const e = Object.create(cls.prototype) as Error
      expect(e).toBeInstanceOf(Error)
    }
    const made = [UnexpectedError.from(1), new LeaseLostError('r', 1), new StoreError('load', 'r', 1)]
    for (const e of made) expect(ERRORS[e._tag]).toBe(e.constructor)
    // Every exported class whose name ends in Error (and is an Error) is in the registry.
    const exported = Object.entries(index).filter(
      ([k, v]) => /Error$/.test(k) && typeof v === 'function' && v.prototype instanceof Error,
    )
    expect(exported.map(([k]) => k).sort()).toEqual(Object.keys(ERRORS).sort())
  })

  it('keep name equal to _tag, are Errors, and keep the cause', () => {
    const cause = new Error('root')
    const e = UnexpectedError.from(cause)
    expect(e).toBeInstanceOf(Error)
    expect([e.name, e._tag, e.cause]).toEqual(['UnexpectedError', 'UnexpectedError', cause])
    expect(String(new TimeoutError(5))).toBe('TimeoutError: Timed out after 5 ms')
    expect('label' in new TimeoutError(5)).toBe(false)
  })

  it('InvalidOptionsError shows the value as written in code', () => {
    const msg = (v: unknown) => new InvalidOptionsError('x', v, 'y').message
    expect([Number.NaN, -1, 0, 'abc', undefined, null, -0, 10n, []].map(msg)).toEqual([
      'Invalid option "x": NaN (expected y)',
      'Invalid option "x": -1 (expected y)',
      'Invalid option "x": 0 (expected y)',
      'Invalid option "x": "abc" (expected y)',
      'Invalid option "x": undefined (expected y)',
      'Invalid option "x": null (expected y)',
      'Invalid option "x": -0 (expected y)',
      'Invalid option "x": 10n (expected y)',
      'Invalid option "x": [] (expected y)',
    ])
  })
})

describe('errors as the built package prints them', () => {
  it('every error class keeps its own name in dist (ESM and CJS), so a logged UnexpectedError reads UnexpectedError', async () => {
    const { createRequire } = await import('node:module')
    const { inspect } = await import('node:util')
    const esm = (await import('../dist/index.js')) as Record<string, unknown>
    const cjs = createRequire(import.meta.url)('../dist/index.cjs') as Record<string, unknown>
    for (const mod of [esm, cjs]) {
      const classes = Object.entries(mod).filter(
        ([, v]) => typeof v === 'function' && (v as { prototype?: unknown }).prototype instanceof Error,
      )
      expect(classes.length).toBeGreaterThanOrEqual(11)
      for (const [exported, cls] of classes) expect((cls as { name: string }).name).toBe(exported)
      const e = (mod.UnexpectedError as typeof UnexpectedError).from(new Error('boom'))
      expect(inspect(e).split('\n')[0]).toBe('UnexpectedError: Unexpected: boom')
      expect(inspect(new (mod.TimeoutError as typeof TimeoutError)(5, 'fetch')).split('\n')[0]).toBe(
        'TimeoutError: fetch timed out after 5 ms',
      )
    }
  })
})
