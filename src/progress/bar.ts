import type { BatchProgress } from '../batch/types.js'
import { checkFunction, checkInteger, checkMs } from '../internal/options.js'
import { formatEta, formatRate } from './format.js'
import { safeWrite, stderr, type TextStream } from './stream.js'

/** Options of `progressBar`. */
export interface ProgressBarOptions {
  /** Written before the bar, e.g. `'invoices'`. */
  label?: string | undefined
  /** Where to draw (default `process.stderr`). A TTY gets a bar redrawn in place, anything else plain lines. */
  stream?: TextStream | undefined
  /** Characters of the bar itself (default 24; narrower when the terminal is). */
  width?: number | undefined
  /**
   * At most one redraw per this many ms (default 100 on a TTY, 1000 for plain lines); the last
   * report of a job (all items done) is always shown.
   */
  intervalMs?: number | undefined
  /** Clock in ms, for tests (default `performance.now`). */
  now?: (() => number) | undefined
}

/** An `onProgress` handler; `finish()` ends the bar's line (call it if the job may stop early). */
export interface ProgressBar {
  (progress: BatchProgress): void
  /** Ends the line of a bar that did not reach its total (a failed job, an unknown total). Idempotent. */
  finish(): void
}

const pct = (done: number, total: number) => (total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100)

/** The text after the bar: counts, rate, time left, failures. */
function summary(p: BatchProgress): string {
  const parts = [
    p.total === undefined
      ? `${p.done.toLocaleString('en-US')} done`
      : `${p.done.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')}`,
  ]
  parts.push(formatRate(p.ratePerSec))
  if (p.total !== undefined && p.done < p.total && p.etaMs !== undefined) parts.push(`ETA ${formatEta(p.etaMs)}`)
  if (p.failed > 0) parts.push(`${p.failed.toLocaleString('en-US')} failed`)
  return parts.join(' · ')
}

/**
 * A progress display for `processInBatches({ onProgress })` and `pipeline({ onProgress })`: on a
 * terminal, one line redrawn in place — label, bar, percent, count, rate, ETA, failures; when
 * piped (CI logs, files), plain lines at most once a second and one at the end. Draws on stderr
 * by default. Never throws for a failing stream. A bad option (e.g. `width: 0`) makes the first
 * call throw an `InvalidOptionsError`, which the job returns as its `UnexpectedError`'s cause.
 *
 * @example
 * await processInBatches(rows, save, { concurrency: 8, onProgress: progressBar({ label: 'rows' }) })
 * // rows [██████████░░░░░░░░░░░░░░]  42% 4,200/10,000 · 1,234/s · ETA 5s
 */
export function progressBar(opts: ProgressBarOptions = {}): ProgressBar {
  const bad =
    checkInteger('width', opts.width ?? 24, 1) ??
    checkMs('intervalMs', opts.intervalMs) ??
    checkFunction('now', opts.now)
  const stream = opts.stream ?? stderr()
  const tty = stream.isTTY === true
  const interval = opts.intervalMs ?? (tty ? 100 : 1000)
  const clock = opts.now ?? (() => performance.now())
  const label = opts.label ? `${opts.label} ` : ''
  let last = Number.NEGATIVE_INFINITY
  let lastDone = -1
  let open = false // a TTY line drawn and not yet ended
  let finished = false

  const draw = (p: BatchProgress, final: boolean) => {
    const tail = summary(p)
    if (!tty) {
      const share = p.total === undefined ? '' : ` ${pct(p.done, p.total)}%`
      safeWrite(stream, `${label}${share ? `${share.trim()} ` : ''}${tail}\n`)
      return
    }
    const columns = stream.columns || 80 // 0 when the terminal does not say
    let head = ''
    if (p.total !== undefined) {
      const share = `${String(pct(p.done, p.total)).padStart(3)}%`
      const room = columns - label.length - share.length - tail.length - 5
      const width = Math.max(0, Math.min(opts.width ?? 24, room))
      const filled = p.total > 0 ? Math.min(width, Math.floor((p.done / p.total) * width)) : width
      head = width > 0 ? `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${share} ` : `${share} `
    }
    // \r back to the start, \x1b[K clears what a longer earlier line left behind.
    safeWrite(stream, `\r${label}${head}${tail}\x1b[K${final ? '\n' : ''}`)
    open = !final
  }

  const bar = ((p: BatchProgress) => {
    if (bad) throw bad
    if (finished) return
    const final = p.total !== undefined && p.done >= p.total
    const t = clock()
    if (!final && (t - last < interval || p.done === lastDone)) return
    last = t
    lastDone = p.done
    draw(p, final)
    if (final) finished = true
  }) as ProgressBar
  bar.finish = () => {
    if (finished) return
    finished = true
    if (open) safeWrite(stream, '\n')
    open = false
  }
  return bar
}
