import { match } from 'ts-pattern'
import type { WorkflowEvent } from './events.js'
import { formatMs, type RunSummary, type StepRow, type StepStatus, splitRuns, summarize } from './summary.js'

/** Options of `renderTimeline`. */
export interface TimelineOptions {
  /** Width of the bar area in characters (default 50). */
  width?: number | undefined
}

const MARK: Record<StepStatus, string> = { ok: '✓', error: '✗', timeout: '⏱', cancelled: '⊘', running: '…' }
const BAR: Record<StepStatus, string> = { ok: '█', error: '▓', timeout: '▒', cancelled: '░', running: '░' }

/**
 * Draws a run as an ASCII timeline for a terminal: one row per step (children indented under
 * their group), bars scaled to time, a status mark (✓ ok, ✗ error, ⏱ timeout, ⊘ cancelled),
 * retries (↻N) and replays (⟲). Events of several runs (one listener shared by many runs) are
 * drawn run by run, each with its own header and time scale, separated by a blank line.
 *
 * Throws a TypeError when `events` is not an array of workflow events (naming the first bad
 * one, e.g. `renderTimeline: events[3] is not a workflow event (unknown \`type\`)`) or when
 * `width` is not a number; widths are kept from 10 to 1000 characters.
 *
 * @example
 * checkout  run 3f2c…  ✓ ok in 48.2 ms
 * fetch user   │██████                                            │ ✓ 6.10 ms ↻1
 * fan out      │      ████████████████                            │ ✓ 16.4 ms
 *   fan out[0] │      ██████████                                  │ ✓ 10.2 ms
 */
export function renderTimeline(events: readonly WorkflowEvent[], opts?: TimelineOptions): string {
  const badOptions = () => new TypeError('renderTimeline: options must be an object like { width: 50 }')
  if (opts !== undefined && (typeof opts !== 'object' || opts === null || Array.isArray(opts))) throw badOptions()
  let w: unknown
  try {
    w = opts?.width
  } catch {
    throw badOptions()
  }
  if (w !== undefined && (typeof w !== 'number' || Number.isNaN(w))) {
    throw new TypeError('renderTimeline: width must be a number of characters')
  }
  const width = Math.min(1000, Math.max(10, Math.floor((w as number | undefined) ?? 50)))
  const runs = splitRuns(events, 'renderTimeline')
  if (runs.length === 0) return drawRun(summarize([]), width)
  return runs.map((run) => drawRun(summarize(run), width)).join('\n\n')
}

function drawRun(run: RunSummary, width: number): string {
  const span = Math.max(run.end - run.start, 1e-3)
  const col = (ts: number) => Math.min(width, Math.max(0, Math.round(((ts - run.start) / span) * width)))
  const label = (r: StepRow) => `${'  '.repeat(r.depth)}${r.name}`
  let labelWidth = 4 // a loop, not Math.max(...rows): a spread of 100k rows overflows the stack
  for (const r of run.steps) labelWidth = Math.max(labelWidth, label(r).length)
  labelWidth = Math.min(40, labelWidth)
  const outcome = match(run.status)
    .with('ok', () => '✓ ok')
    .with('error', () => '✗ error')
    .with('cancelled', () => '⊘ cancelled')
    .with('running', () => '… running')
    .exhaustive()
  const lines = [`${run.workflow}  run ${run.runId}  ${outcome} in ${formatMs(run.end - run.start)}`]
  for (const r of run.steps) {
    const end = r.end ?? run.end
    const from = Math.min(col(r.start), width - 1) // a step starting at the very end still gets a bar
    const to = Math.max(from + 1, col(end))
    const bar = ' '.repeat(from) + BAR[r.status].repeat(Math.min(to, width) - from)
    const name = label(r)
    const shown = name.length > labelWidth ? `${name.slice(0, labelWidth - 1)}…` : name.padEnd(labelWidth)
    const extras = `${r.retries > 0 ? ` ↻${r.retries}` : ''}${r.replayed ? ' ⟲' : ''}`
    lines.push(`${shown} │${bar.padEnd(width)}│ ${MARK[r.status]} ${formatMs(end - r.start)}${extras}`)
  }
  return lines.join('\n')
}
