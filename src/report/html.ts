import { createHash } from 'node:crypto'
import type { WorkflowEvent } from '../workflow/events.js'
import { formatMs } from '../workflow/summary.js'
import { reportModel } from './model.js'
import { CSS, SCRIPT } from './page.js'

/** Options of `renderHtmlReport`. */
export interface HtmlReportOptions {
  /** The page's title (default: `okflow · <workflow> · <outcome>`). */
  title?: string | undefined
  /** A line of text shown under the header (e.g. where the run came from, or what it lacks). */
  note?: string | undefined
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Text for HTML, safe in element content and quoted attributes. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ENTITIES[c] as string)

/**
 * JSON for a `<script type="application/json">`: `<` is escaped so no `</script>` or `<!--` in
 * user data can end the element, and U+2028/9 so the text stays valid in every parser.
 */
export const jsonForScript = (v: unknown): string =>
  JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)

// The only script the page may run is its own (by hash): even a markup injection could not run code.
// Computed on first use: no work at import time.
let csp: string | undefined
const policy = () =>
  (csp ??= `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'; img-src data:; base-uri 'none'; form-action 'none'`)

const OUTCOME = { ok: '✓ ok', error: '✗ error', cancelled: '⊘ cancelled', running: '… running' } as const

/**
 * One self-contained HTML page of a run (inline CSS and script, no network, no external fonts):
 * a header with the run's name, id, outcome and duration; a waterfall of its steps with groups
 * nested; a sortable, filterable step table; and a detail panel per step with its timings,
 * attempts, retries, error fields and whether it was replayed. Rows are drawn only while in
 * view, so a run of 10,000 steps stays responsive. Step names and errors are user data: they
 * reach the page only as escaped text.
 */
export function renderHtmlReport(events: readonly WorkflowEvent[], opts: HtmlReportOptions = {}): string {
  const run = reportModel(events)
  const counts = {
    notOk: run.steps.filter((s) => s.status !== 'ok').length,
    retried: run.steps.filter((s) => s.retries.length > 0).length,
    replayed: run.steps.filter((s) => s.replayed).length,
  }
  const title = opts.title ?? `okflow · ${run.workflow} · ${run.status}`
  const started = events.length > 0 ? new Date(run.startedAt).toISOString().replace('T', ' ').slice(0, 23) : '—'
  const stat = (n: number, what: string) => (n > 0 ? `<span><b>${n}</b> ${what}</span>` : '')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${policy()}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="okflow">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(run.workflow)}</h1>
<div class="meta">
<span class="badge st-${run.status}" id="outcome">${OUTCOME[run.status]}</span>
<span>run <code id="run-id">${escapeHtml(run.runId)}</code></span>
<span>in <b>${formatMs(run.durationMs)}</b></span>
<span>started ${started} UTC</span>
<span><b>${run.steps.length.toLocaleString('en-US')}</b> steps</span>
${stat(counts.notOk, 'not ok')}${stat(counts.retried, 'retried ↻')}${stat(counts.replayed, 'replayed ⟲')}
</div>
${opts.note ? `<p class="hint" id="note">${escapeHtml(opts.note)}</p>` : ''}
</header>
<main>
<section class="card" aria-label="Waterfall">
<div class="bar-head"><h2>Waterfall</h2><span class="hint" id="count"></span><button type="button" class="zoom" id="fold-all" hidden>Fold groups</button><button type="button" class="zoom" id="unzoom" hidden>Show the whole run</button>
<div class="tools"><input type="search" id="filter" placeholder="Filter steps" aria-label="Filter steps"><label><input type="checkbox" id="problems"> problems only</label></div>
</div>
<div class="scroll" id="wf-scroll"><div class="axis"><span></span><div class="ticks" id="wf-ticks"></div><span></span></div><div class="vbody" id="wf-body"></div></div>
<div class="legend"><span><i class="st-ok"></i>ok</span><span><i class="st-error"></i>error</span><span><i class="st-timeout"></i>timeout</span><span><i class="st-cancelled"></i>cancelled</span><span><i class="st-running"></i>running</span><span>↻ retried</span><span>⟲ replayed</span></div>
</section>
<aside class="card" id="detail" aria-label="Details" aria-live="polite"></aside>
<section class="card wide table" aria-label="Steps">
<div class="bar-head"><h2>Steps</h2><span class="hint">click a column to sort</span></div>
<div class="scroll" id="t-scroll" role="table"><div class="t-head" id="t-head" role="row"></div><div class="vbody" id="t-body"></div></div>
</section>
</main>
<script type="application/json" id="okflow-data">${jsonForScript(run)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`
}
