import { match } from 'ts-pattern'
import { describeError, printable } from '../internal/describe-error.js'
import type { WorkflowEvent } from '../workflow/events.js'
import { formatMs } from '../workflow/summary.js'
import { safeWrite, stderr, type TextStream } from './stream.js'

/** Options of `consoleEvents`. */
export interface ConsoleEventsOptions {
  /** Where to write (default `process.stderr`). */
  stream?: TextStream | undefined
  /** ANSI colours (default: when the stream is a TTY and `NO_COLOR` is not set). */
  colors?: boolean | undefined
  /** Also print a line when a step starts (default true); false prints only endings and retries. */
  starts?: boolean | undefined
}

const CODES = { green: 32, red: 31, yellow: 33, grey: 90, bold: 1 } as const
type Colour = keyof typeof CODES

/** One error on one line: `Tag: message · field=value …`, without newlines. */
function errorText(error: unknown): string {
  const e = describeError(error)
  const fields = e.fields.map(([k, v]) => `${k}=${v}`)
  return printable([`${e.name}${e.message ? `: ${e.message}` : ''}`, ...fields].join(' · '))
}

/**
 * An `onEvent` handler that logs a workflow as it runs, one readable line per event:
 *
 * ```text
 * checkout ▶ run order-42
 * checkout   → fetch user
 * checkout   ↻ fetch user: attempt 1 failed (Down: … · service=users), retry in 50.0 ms
 * checkout   ✓ fetch user 61.2 ms
 * checkout   ✗ charge card 12.0 ms: CardDeclined: card declined · code=insufficient_funds
 * checkout ✗ failed in 80.1 ms: CardDeclined: card declined · code=insufficient_funds
 * ```
 *
 * Children are indented under their group, replayed steps marked ⟲. Never throws for a failing
 * stream; several runs can share one handler (their lines carry the workflow's name).
 */
export function consoleEvents(opts: ConsoleEventsOptions = {}): (event: WorkflowEvent) => void {
  const stream = opts.stream ?? stderr()
  const colors = opts.colors ?? (stream.isTTY === true && !process.env.NO_COLOR)
  const starts = opts.starts ?? true
  const paint = (c: Colour, s: string) => (colors ? `\x1b[${CODES[c]}m${s}\x1b[0m` : s)
  /** Depth of each open step, per run, to indent children under their group. */
  const depths = new Map<string, Map<string, number>>()

  return (e) => {
    const head = paint('bold', printable(e.workflow))
    const line = (text: string) => safeWrite(stream, `${head} ${text}\n`)
    const replay = e.replayed ? paint('grey', ' ⟲ replayed') : ''
    if (!('stepId' in e)) {
      match(e)
        .with({ type: 'workflow_start' }, (x) => {
          // A second run of the same id (refused: RunLockedError) must not forget the first's depths.
          if (!depths.has(x.runId)) depths.set(x.runId, new Map())
          line(`▶ run ${printable(x.runId)}`)
        })
        .with({ type: 'workflow_success' }, (x) =>
          line(`${paint('green', '✓ ok')} in ${formatMs(x.durationMs)}${replay}`),
        )
        .with({ type: 'workflow_error' }, (x) =>
          line(`${paint('red', '✗ failed')} in ${formatMs(x.durationMs)}: ${errorText(x.error)}${replay}`),
        )
        .with({ type: 'workflow_cancelled' }, (x) =>
          line(`${paint('yellow', '⊘ cancelled')} in ${formatMs(x.durationMs)}: ${errorText(x.error)}`),
        )
        .exhaustive()
      if (e.type !== 'workflow_start' && depths.get(e.runId)?.size === 0) depths.delete(e.runId)
      return
    }
    const run = depths.get(e.runId) ?? new Map<string, number>()
    depths.set(e.runId, run)
    if (e.type === 'step_start') run.set(e.stepId, e.parentId === undefined ? 0 : (run.get(e.parentId) ?? 0) + 1)
    const pad = '  '.repeat(1 + (run.get(e.stepId) ?? 0))
    match(e)
      .with({ type: 'step_start' }, (x) => {
        if (starts) line(`${pad}${paint('grey', '→')} ${printable(x.name)}${replay}`)
      })
      .with({ type: 'step_retry' }, (x) =>
        line(
          `${pad}${paint('yellow', '↻')} ${printable(x.name)}: attempt ${x.attempt} failed (${errorText(x.error)}), retry in ${formatMs(x.delayMs)}`,
        ),
      )
      .with({ type: 'step_success' }, (x) =>
        line(`${pad}${paint('green', '✓')} ${printable(x.name)} ${formatMs(x.durationMs)}${replay}`),
      )
      .with({ type: 'step_timeout' }, (x) =>
        line(`${pad}${paint('yellow', '⏱')} ${printable(x.name)} timed out after ${formatMs(x.ms)}`),
      )
      .with({ type: 'step_error' }, (x) =>
        (x.error as { _tag?: unknown } | null)?._tag === 'CancelledError'
          ? line(`${pad}${paint('grey', '⊘')} ${printable(x.name)} cancelled after ${formatMs(x.durationMs)}`)
          : line(
              `${pad}${paint('red', '✗')} ${printable(x.name)} ${formatMs(x.durationMs)}: ${errorText(x.error)}${replay}`,
            ),
      )
      .exhaustive()
    if (e.type !== 'step_start' && e.type !== 'step_retry') run.delete(e.stepId)
  }
}
