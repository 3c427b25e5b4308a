import { afterEach, describe, expect, it, vi } from 'vitest'
import { ok, pipeline, processInBatches, progressBar, type TextStream } from '../../src/index.js'
import { later } from '../helpers.js'

function sink(tty: boolean, columns = 100): TextStream & { text: () => string } {
  const chunks: string[] = []
  return { isTTY: tty, columns, write: (s: string) => chunks.push(s), text: () => chunks.join('') }
}
/** What a terminal shows: each \r returns to the line start, \x1b[K clears the rest. */
function screen(raw: string): string[] {
  const lines: string[] = ['']
  for (const part of raw.split(/(\r|\n)/)) {
    if (part === '\n') lines.push('')
    else if (part === '\r') lines[lines.length - 1] = ''
    else lines[lines.length - 1] += part.replaceAll('\x1b[K', '')
  }
  return lines
}

afterEach(() => {
  vi.useRealTimers()
})

describe('progressBar on a TTY', () => {
  it('redraws one line in place with a bar, percent, count, rate and ETA, and ends it at the total', () => {
    let t = 0
    const out = sink(true)
    const bar = progressBar({ label: 'invoices', stream: out, width: 10, now: () => t })
    bar({ done: 0, failed: 0, total: 500, ratePerSec: 0 })
    t = 150
    bar({ done: 250, failed: 2, total: 500, ratePerSec: 1666.6, etaMs: 150 })
    expect(screen(out.text())).toEqual(['invoices [█████░░░░░]  50% 250/500 · 1,667/s · ETA 0s · 2 failed'])
    t = 300
    bar({ done: 500, failed: 2, total: 500, ratePerSec: 1666.6, etaMs: 0 })
    expect(screen(out.text())).toEqual(['invoices [██████████] 100% 500/500 · 1,667/s · 2 failed', ''])
    expect(out.text().split('\r')).toHaveLength(4) // drawn three times, on one line
  })

  it('throttles redraws to intervalMs but always draws the last one', () => {
    let t = 0
    const out = sink(true)
    const bar = progressBar({ stream: out, intervalMs: 100, now: () => t })
    for (let done = 1; done <= 99; done++) {
      t = done * 10 // every 10 ms
      bar({ done, failed: 0, total: 100, ratePerSec: 100, etaMs: (100 - done) * 10 })
    }
    const draws = out.text().split('\r').length - 1
    expect(draws).toBe(10) // t = 10, 110, 210, … 910
    bar({ done: 100, failed: 0, total: 100, ratePerSec: 100 })
    expect(screen(out.text()).at(-2)).toMatch(/100% 100\/100/)
  })

  it('fits a narrow terminal and shows counts only when the total is unknown', () => {
    const narrow = sink(true, 40)
    progressBar({ stream: narrow, now: () => 0 })({ done: 5, failed: 0, total: 10, ratePerSec: 2, etaMs: 2500 })
    const [line] = screen(narrow.text())
    expect(line!.length).toBeLessThanOrEqual(40)
    expect(line).toContain(' 50% 5/10 · 2.0/s · ETA 3s')
    // A terminal that reports no width (0, as under `script`) still gets a bar.
    const unsized = sink(true, 0)
    progressBar({ stream: unsized, width: 4, now: () => 0 })({ done: 1, failed: 0, total: 2, ratePerSec: 1 })
    expect(screen(unsized.text())).toEqual(['[██░░]  50% 1/2 · 1.0/s'])
    const open = sink(true)
    const bar = progressBar({ stream: open, label: 'rows', now: () => 0 })
    bar({ done: 12_345, failed: 0, ratePerSec: 42 })
    expect(screen(open.text())).toEqual(['rows 12,345 done · 42/s'])
    bar.finish()
    bar.finish()
    expect(screen(open.text())).toEqual(['rows 12,345 done · 42/s', ''])
  })
})

describe('progressBar when piped', () => {
  it('prints plain throttled lines (no escape codes), and the final one', () => {
    let t = 0
    const out = sink(false)
    const bar = progressBar({ label: 'import', stream: out, now: () => t })
    for (let done = 0; done <= 1000; done += 10) {
      t = done * 10 // 10 s in all, a report every 100 ms
      bar({ done, failed: 0, total: 1000, ratePerSec: 100, etaMs: (1000 - done) * 10 })
    }
    const lines = out.text().trimEnd().split('\n')
    expect(out.text()).not.toContain('\r')
    expect(out.text()).not.toContain('\x1b')
    expect(lines).toHaveLength(11) // one a second (t = 0, 1000, … 9000) and the end
    expect(lines[0]).toBe('import 0% 0/1,000 · 100/s · ETA 10s')
    expect(lines[1]).toBe('import 10% 100/1,000 · 100/s · ETA 9s')
    expect(lines.at(-1)).toBe('import 100% 1,000/1,000 · 100/s')
  })

  it('draws a real processInBatches job on fake timers, and a pipeline', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] })
    const out = sink(false)
    const job = processInBatches(
      Array.from({ length: 40 }, (_, i) => i),
      (i) => later(100, ok(i)),
      { concurrency: 4, onProgress: progressBar({ stream: out, label: 'job' }) },
    )
    await vi.advanceTimersByTimeAsync(1_000)
    const r = await job
    expect(r.isOk()).toBe(true)
    const lines = out.text().trimEnd().split('\n')
    // The job reports every 100 ms; piped, the bar prints the first report and the end (1 s apart).
    expect(lines).toEqual(['job 2% 1/40 · 10/s · ETA 4s', 'job 100% 40/40 · 40/s'])
    vi.useRealTimers()
    const piped = sink(false)
    const done = await pipeline([1, 2, 3], { onProgress: progressBar({ stream: piped, label: 'flow' }) })
      .stage({ name: 'double', fn: (x: number) => ok(x * 2) })
      .run()
    expect(done._unsafeUnwrap()).toEqual([2, 4, 6])
    expect(piped.text().trimEnd().split('\n').at(-1)).toMatch(/^flow 3 done · [\d,.]+\/s$/) // a pipeline does not know its total
  })
})

describe('progressBar options', () => {
  it('a bad option makes the job fail with UnexpectedError whose cause names it', async () => {
    const r = await processInBatches([1, 2], (x) => ok(x), {
      concurrency: 1,
      onProgress: progressBar({ width: 0, stream: sink(false) }),
    })
    const e = r._unsafeUnwrapErr()
    expect(e).toMatchObject({
      _tag: 'UnexpectedError',
      cause: { _tag: 'InvalidOptionsError', option: 'width', value: 0 },
    })
    expect(() => progressBar({ intervalMs: -1, stream: sink(false) })({ done: 0, failed: 0, ratePerSec: 0 })).toThrow(
      expect.objectContaining({ option: 'intervalMs' }),
    )
  })

  it('a stream that throws does not stop the job', async () => {
    const broken: TextStream = {
      isTTY: true,
      write() {
        throw new Error('EPIPE')
      },
    }
    const r = await processInBatches([1, 2, 3], (x) => ok(x), {
      concurrency: 2,
      onProgress: progressBar({ stream: broken }),
    })
    expect(r._unsafeUnwrap()).toEqual([1, 2, 3])
  })
})
