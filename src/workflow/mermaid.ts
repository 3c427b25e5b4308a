import { match } from 'ts-pattern'
import type { WorkflowEvent } from './events.js'
import { type StepStatus, splitRuns, summarize } from './summary.js'

// Mermaid gantt task names end at ':' and '#' starts a comment.
const clean = (s: string) => s.replace(/[:#;]/g, ' ').replace(/\s+/g, ' ').trim() || 'step'

const tag = (s: StepStatus) =>
  match(s)
    .with('ok', () => 'done, ')
    .with('error', 'timeout', () => 'crit, ')
    .with('cancelled', 'running', () => 'active, ')
    .exhaustive()

/**
 * A Mermaid gantt chart of a run, for docs and pull requests (paste it in a ```mermaid block).
 * Times are milliseconds from the start of the run; failed steps are marked `crit`.
 *
 * Throws a TypeError when `events` is not an array of workflow events (naming the first bad
 * one), and a RangeError when it holds events of more than one run: a chart shows one run, so
 * pass the events of one (`events.filter((e) => e.runId === id)`).
 */
export function toMermaid(events: readonly WorkflowEvent[]): string {
  const runs = splitRuns(events, 'toMermaid')
  if (runs.length > 1) {
    const ids = runs.map((r) => JSON.stringify(r[0]?.runId)).join(', ')
    throw new RangeError(
      `toMermaid: the events hold ${runs.length} runs (${ids}); a chart shows one run: pass the events of one, e.g. events.filter((e) => e.runId === id)`,
    )
  }
  const run = summarize(runs[0] ?? [])
  const ms = (ts: number) => Math.max(0, Math.round(ts - run.start))
  const lines = ['gantt', `  title ${clean(run.workflow)} (${run.status})`, '  dateFormat x', '  axisFormat %S.%L s']
  let section: string | undefined
  for (const r of run.steps) {
    // Each top-level step opens a section, so a group's children sit together under it.
    const top = r.depth === 0 ? r.name : section
    if (top !== section || section === undefined) {
      section = top ?? r.name
      lines.push(`  section ${clean(section)}`)
    }
    const end = Math.max(ms(r.end ?? run.end), ms(r.start) + 1)
    const suffix = r.status === 'ok' ? '' : ` (${r.status})`
    lines.push(`  ${clean(r.name)}${suffix} :${tag(r.status)}${r.stepId}, ${ms(r.start)}, ${end}`)
  }
  return lines.join('\n')
}
