import { describe, expect, it } from 'vitest'
import {
  CancelledError,
  consoleEvents,
  createWorkflow,
  err,
  memoryStore,
  ok,
  type Result,
  type TextStream,
} from '../../src/index.js'
import { laterOk } from '../helpers.js'

function sink(tty = false): TextStream & { lines: () => string[] } {
  const chunks: string[] = []
  return { isTTY: tty, write: (s: string) => chunks.push(s), lines: () => chunks.join('').trimEnd().split('\n') }
}
/** Durations vary run to run: replace them with `T`. */
const timeless = (lines: string[]) => lines.map((l) => l.replace(/\d+(\.\d+)? (ms|s)\b/g, 'T'))

type Down = { _tag: 'Down'; service: string }
/** A dependency that is down: its error type declares Down to the workflows that list it. */
const down = (service: string): Result<number, Down> => err({ _tag: 'Down', service })

describe('consoleEvents', () => {
  it('logs one readable line per event, children indented under their group', async () => {
    const out = sink()
    const wf = createWorkflow(
      { down, laterOk },
      { name: 'checkout', runId: 'order-42', onEvent: consoleEvents({ stream: out }) },
    )
    await wf(async (step, deps) => {
      await step(({ attempt }) => (attempt === 1 ? deps.down('users') : ok(1)), {
        name: 'fetch user',
        retry: { attempts: 2 },
      })
      await step.all('load', { cart: () => ok(1), rates: () => ok(2) })
      await step(({ signal }) => deps.laterOk(1_000, 1, signal), { name: 'quote', timeoutMs: 5 }).catch(() => 0)
      return 1
    })
    expect(timeless(out.lines())).toEqual([
      'checkout ▶ run order-42',
      'checkout   → fetch user',
      'checkout   ↻ fetch user: attempt 1 failed (Down · service=users), retry in T',
      'checkout   ✓ fetch user T',
      'checkout   → load',
      'checkout     → load.cart',
      'checkout     → load.rates',
      'checkout     ✓ load.cart T',
      'checkout     ✓ load.rates T',
      'checkout   ✓ load T',
      'checkout   → quote',
      'checkout   ⏱ quote timed out after T',
      'checkout ✗ failed in T: TimeoutError: quote timed out after T · ms=5 · label=quote',
    ])
  })

  it('prints errors with their fields on one line, cancellations and replays', async () => {
    const out = sink()
    const store = memoryStore()
    const charge = (): Result<number, Error> => err(Object.assign(new Error('card\ndeclined'), { code: 'nsf' }))
    const wf = createWorkflow(
      { laterOk, charge },
      { name: 'pay', store, runId: 'p1', onEvent: consoleEvents({ stream: out, starts: false }) },
    )
    const body = async (step: Parameters<Parameters<typeof wf>[0]>[0], slow: boolean) => {
      await step(() => ok(1), { name: 'reserve' })
      await step(({ signal }) => (slow ? laterOk(10_000, 1, signal) : ok(1)), { name: 'wait' })
      return step(() => charge(), { name: 'charge' })
    }
    const ac = new AbortController()
    setTimeout(() => ac.abort('shutdown'), 10)
    expect((await wf((s) => body(s, true), { signal: ac.signal }))._unsafeUnwrapErr()).toBeInstanceOf(CancelledError)
    await wf((s) => body(s, false))
    expect(timeless(out.lines())).toEqual([
      'pay ▶ run p1',
      'pay   ✓ reserve T',
      'pay   ⊘ wait cancelled after T',
      'pay ⊘ cancelled in T: CancelledError: Cancelled: shutdown · reason=shutdown',
      'pay ▶ run p1',
      'pay   ✓ reserve T ⟲ replayed',
      'pay   ✓ wait T',
      'pay   ✗ charge T: Error: card ⏎ declined · code=nsf',
      'pay ✗ failed in T: Error: card ⏎ declined · code=nsf',
    ])
  })

  it('colours marks on a TTY (and not when asked not to)', async () => {
    const tty = sink(true)
    await createWorkflow(
      {},
      { name: 'w', onEvent: consoleEvents({ stream: tty, colors: true }) },
    )(async (step) => step(() => ok(1), { name: 's' }))
    expect(tty.lines().join('\n')).toContain('\x1b[32m✓\x1b[0m s')
    const plain = sink(true)
    await createWorkflow(
      {},
      { name: 'w', onEvent: consoleEvents({ stream: plain, colors: false }) },
    )(async (step) => step(() => ok(1), { name: 's' }))
    expect(plain.lines().join('\n')).not.toContain('\x1b')
  })
})

describe('consoleEvents with hostile names', () => {
  it('keeps each event on one line with no control characters from user data', async () => {
    const out = sink()
    const wf = createWorkflow(
      {},
      { name: 'w\x1b[31m', runId: 'r\n2', onEvent: consoleEvents({ stream: out, colors: false }) },
    )
    await wf(async (step) => step(() => ok(1), { name: 'two\nlines\x07' }))
    expect(timeless(out.lines())).toEqual([
      'w�[31m ▶ run r ⏎ 2',
      'w�[31m   → two ⏎ lines�',
      'w�[31m   ✓ two ⏎ lines� T',
      'w�[31m ✓ ok in T',
    ])
  })
})
