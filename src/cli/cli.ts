import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { describeError, printable, showValue } from '../internal/describe-error.js'
import { renderHtmlReport } from '../report/html.js'
import { reportModel } from '../report/model.js'
import type { RunInfo, StepRecord } from '../workflow/store/types.js'
import { renderTimeline } from '../workflow/timeline.js'
import {
  CliFailure,
  EXIT,
  fail,
  isRegistered,
  type ListedRun,
  type OpenedStore,
  openFileStore,
  RunSource,
  recordValue,
} from './source.js'

export { EXIT }

/** Where output goes: stdout for results, stderr for messages. */
export interface CliIO {
  out(text: string): void
  err(text: string): void
}

const STORE_HELP = `(--store <dir> | --postgres <url> [--schema s])`

const USAGE = `okflow — look at and steer durable workflow runs

Usage: okflow runs <command> [options]      ("runs" may be left out)

Commands:
  list                  the stored runs, newest first
  show <id>             a run's recorded steps and outcome
  timeline <id>         an ASCII timeline of a run
  report <id> [-o f]    a self-contained HTML report of a run (stdout, or the file f)
  retry <id>            run a failed or cancelled run again from the step that failed
  cancel <id>           cancel a pending or running run

Store (one of):
  --store <dir>         a fileStore directory (default: $OKFLOW_STORE)
  --postgres <url>      a Postgres store (needs the pg package)
  --schema <name>       its schema (default: okflow)

Options:
  --json                machine-readable output on stdout
  -h, --help            help; after a command, that command's help
  -v, --version         okflow's version

Exit codes:
  0 done   1 the store failed   2 usage error   3 no such run or store   4 not supported by this store
`

const HELP: Record<string, string> = {
  list: `Usage: okflow runs list [--workflow w] [--state s] [--limit n] [--json] ${STORE_HELP}

The stored runs, newest first: id, workflow, state, when created and last changed, error.
Runs written by createWorkflow(deps, { store, runId }) are listed too, with no workflow name and
their state read from their records (incomplete: no outcome recorded).
  --workflow w  only the runs of this registered workflow
  --state s     pending, running, sleeping, succeeded, failed, cancelled or incomplete
  --limit n     at most n runs
  --json        an array of runs: the store's RunInfo ({ runId, workflow, version, state, input,
                createdAt, updatedAt, claims, error?, … }); createWorkflow runs as
                { runId, workflow: "", state, steps, createdAt?, updatedAt? }
`,
  show: `Usage: okflow runs show <id> [--json] ${STORE_HELP}

A run's recorded steps in order, each with its outcome, time and value, then the run's outcome.
  --json      the run as listed, plus steps and records (as stored: { seq, key, ok, value?, name?,
              kind?, startedAt?, endedAt?, attempts? }; errors as { $okflowError: { name, message, … } })
`,
  timeline: `Usage: okflow runs timeline <id> [--width n] [--json] ${STORE_HELP}

The run as an ASCII timeline (renderTimeline), from the steps' recorded times. Records without
times (stores of older okflow versions) are drawn in order, one slot each, and stderr says so.
  --width n   characters of the bar area (default 50)
  --json      the run as drawn: { workflow, runId, status, durationMs, steps: [{ name, status, start, duration, … }] }
`,
  report: `Usage: okflow runs report <id> [-o file] [--json] ${STORE_HELP}

A self-contained HTML page of the run (renderHtmlReport), on stdout or written to a file.
  -o, --output file   write the page there
  --json              with -o: { file, bytes } on stdout
`,
  retry: `Usage: okflow runs retry <id> [--json] ${STORE_HELP}

Puts a failed or cancelled run back in the queue (client.retry): a worker runs it again, its saved
ok steps replay and it goes on from the step that failed. Another state: exit 2. A run written by
createWorkflow (no worker runs it): exit 4.
  --json      the run as the store has it now (RunInfo, state "pending")
`,
  cancel: `Usage: okflow runs cancel <id> [--json] ${STORE_HELP}

Cancels a run (client.cancel): a pending or sleeping one at once; a running one is marked, and its
worker stops it at its next heartbeat. A run that has ended: exit 2. A run written by
createWorkflow (no worker runs it): exit 4.
  --json      the run as the store has it now (RunInfo: state "cancelled", or cancelRequested: true)
`,
}

const OPTIONS = {
  store: { type: 'string' },
  postgres: { type: 'string' },
  schema: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  output: { type: 'string', short: 'o' },
  limit: { type: 'string' },
  width: { type: 'string' },
  workflow: { type: 'string' },
  state: { type: 'string' },
} as const

type Flags = {
  store?: string | undefined
  postgres?: string | undefined
  schema?: string | undefined
  json?: boolean | undefined
  output?: string | undefined
  limit?: string | undefined
  width?: string | undefined
  workflow?: string | undefined
  state?: string | undefined
}

const STATES = ['pending', 'running', 'sleeping', 'succeeded', 'failed', 'cancelled', 'incomplete'] as const
type ListState = (typeof STATES)[number]

function positiveInt(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const n = Number(text)
  return Number.isInteger(n) && n > 0
    ? n
    : fail(EXIT.USAGE, `--${option} must be a whole number above 0, not "${text}"`)
}

const pad = (cells: string[][]): string => {
  const rows = cells.map((r) => r.map(printable))
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}
const when = (ms: number | undefined) =>
  ms === undefined ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19)
const oneLine = (v: unknown, ok: boolean) => {
  if (ok) return v === undefined ? '' : showValue(v, 80)
  const e = describeError(v)
  return showValue(
    [`${e.name}${e.message ? `: ${e.message}` : ''}`, ...e.fields.map(([k, x]) => `${k}=${x}`)].join(' · '),
    100,
  )
}
const errorOf = (r: ListedRun) =>
  isRegistered(r) && r.error ? showValue(`${r.error.tag ? `${r.error.tag}: ` : ''}${r.error.message}`, 80) : ''
/** The step position a compensation marker is about: seq -(2 + 2*pos) started, -(3 + 2*pos) ended. */
const compensated = (seq: number) => Math.floor((-seq - 2) / 2)
/** A compensation marker's line: which step it undid, and whether this is its start or its end. */
function compensation(r: StepRecord, records: readonly StepRecord[]): string {
  const pos = compensated(r.seq)
  const step = records.find((x) => x.seq === pos)
  return `compensation of ${step ? (step.name ?? step.key) : `step ${pos}`} ${-r.seq % 2 === 0 ? 'started' : 'ended'}`
}

const ms = (from: number | undefined, to: number | undefined) =>
  from === undefined || to === undefined ? '-' : `${(to - from).toLocaleString('en-US')} ms`

/** Opens the store the flags name; the Postgres store (and pg) only for --postgres. */
async function openStore(flags: Flags): Promise<OpenedStore> {
  if (flags.store !== undefined && flags.postgres !== undefined)
    fail(EXIT.USAGE, 'give --store or --postgres, not both')
  if (flags.postgres !== undefined) {
    const { openPostgresStore } = await import('./postgres.js')
    return openPostgresStore(flags.postgres, flags.schema ?? 'okflow')
  }
  if (flags.schema !== undefined) fail(EXIT.USAGE, '--schema goes with --postgres')
  const dir = flags.store ?? process.env.OKFLOW_STORE
  if (!dir) return fail(EXIT.USAGE, 'which store? give --store <dir> (or set OKFLOW_STORE) or --postgres <url>')
  return openFileStore(dir)
}

const needId = (id: string | undefined, command: string): string =>
  id ?? fail(EXIT.USAGE, `okflow runs ${command} needs a run id`)

const NO_TIMES =
  'These records keep no step times (a store of an older okflow): steps are shown in order, one slot each, not to scale.'

async function command(name: string, args: string[], flags: Flags, io: CliIO): Promise<number> {
  const json = flags.json === true
  const print = (v: unknown) => io.out(`${JSON.stringify(v, null, 2)}\n`)
  if (!(name in HELP)) fail(EXIT.USAGE, `unknown command "${name}" (okflow --help lists them)`)
  // Arguments first: a usage error never needs the store.
  const limit = positiveInt('limit', flags.limit)
  const width = positiveInt('width', flags.width)
  const state = flags.state
  if (state !== undefined && !(STATES as readonly string[]).includes(state))
    fail(EXIT.USAGE, `--state must be one of ${STATES.join(', ')}, not "${state}"`)
  if (flags.workflow === '') fail(EXIT.USAGE, '--workflow needs a workflow name')
  if (name === 'report' && json && flags.output === undefined)
    fail(EXIT.USAGE, '--json goes with -o <file> (the page itself is the output otherwise)')
  const id = name === 'list' ? undefined : needId(args[0], name)
  const opened = await openStore(flags)
  try {
    return await run(new RunSource(opened))
  } finally {
    await opened.close()
  }

  async function run(source: RunSource): Promise<number> {
    switch (name) {
      case 'list': {
        const runs = await source.list({
          workflow: flags.workflow,
          state: state as ListState | undefined,
          ...(limit === undefined ? {} : { limit }),
        })
        if (json) print(runs)
        else if (runs.length === 0) io.err('no runs in this store\n')
        else
          io.out(
            `${pad([
              ['RUN ID', 'WORKFLOW', 'STATE', 'CREATED (UTC)', 'UPDATED (UTC)', 'ERROR'],
              ...runs.map((r) => [
                r.runId,
                r.workflow || '-',
                r.state,
                when(r.createdAt),
                when(r.updatedAt),
                errorOf(r),
              ]),
            ])}\n`,
          )
        return EXIT.OK
      }
      case 'show': {
        const run = await source.get(id as string)
        if (json) {
          print(run)
          return EXIT.OK
        }
        const rows = [['#', 'STEP', 'OUTCOME', 'TIME', 'VALUE']]
        for (const r of run.records) {
          const tries = r.attempts !== undefined && r.attempts > 1 ? ` (${r.attempts} attempts)` : ''
          rows.push([
            r.seq === -1 ? '=' : r.seq <= -2 ? `c${compensated(r.seq)}` : String(r.seq),
            r.seq === -1 ? '(run outcome)' : r.seq <= -2 ? compensation(r, run.records) : (r.name ?? r.key),
            `${r.ok ? 'ok' : 'err'}${tries}`,
            r.seq === -1 ? '' : ms(r.startedAt, r.endedAt),
            oneLine(recordValue(r), r.ok),
          ])
        }
        const what = isRegistered(run) ? ` · ${run.workflow} v${run.version}` : ''
        io.out(
          `run ${printable(run.runId)}${what} · ${run.state} · ${run.steps} step${run.steps === 1 ? '' : 's'} recorded\n`,
        )
        if (isRegistered(run)) {
          const extra = [
            `created ${when(run.createdAt)}`,
            `updated ${when(run.updatedAt)}`,
            `claims ${run.claims}`,
            ...(run.cancelRequested ? ['cancel requested'] : []),
            ...(run.error ? [`error ${errorOf(run)}`] : []),
          ]
          io.out(`${extra.join(' · ')}\n`)
        }
        if (run.records.length > 0) io.out(`${pad(rows)}\n`)
        return EXIT.OK
      }
      case 'timeline': {
        const run = await source.get(id as string)
        const { events, timed } = await source.events(run)
        if (!timed) io.err(`note: ${NO_TIMES}\n`)
        if (json) print(reportModel(events))
        else io.out(`${renderTimeline(events, { width })}\n`)
        return EXIT.OK
      }
      case 'report': {
        const run = await source.get(id as string)
        const { events, timed } = await source.events(run)
        const html = renderHtmlReport(events, timed ? {} : { note: NO_TIMES })
        if (flags.output === undefined) {
          io.out(html)
          return EXIT.OK
        }
        await writeFile(flags.output, html).catch((e: unknown) =>
          fail(EXIT.FAILED, `cannot write ${flags.output}: ${describeError(e).message}`),
        )
        const bytes = Buffer.byteLength(html)
        if (json) print({ file: flags.output, bytes })
        else io.err(`wrote ${flags.output} (${bytes.toLocaleString('en-US')} bytes)\n`)
        return EXIT.OK
      }
      case 'retry':
      case 'cancel': {
        const info: RunInfo = name === 'retry' ? await source.retry(id as string) : await source.cancel(id as string)
        if (json) print(info)
        else
          io.out(
            `run ${printable(info.runId)} · ${info.state} · ${
              name === 'retry'
                ? 'a worker runs it again from the step that failed'
                : info.state === 'cancelled'
                  ? 'cancelled'
                  : 'cancel requested: its worker stops it at its next heartbeat'
            }\n`,
          )
        return EXIT.OK
      }
    }
    return fail(EXIT.USAGE, `unknown command "${name}" (okflow --help lists them)`)
  }
}

/**
 * The `okflow` command line, as a function: parses `argv` (without `node` and the script),
 * writes to `io`, resolves to the exit code. Never throws or rejects.
 */
export async function runCli(argv: readonly string[], io: CliIO, version = '0.0.0'): Promise<number> {
  try {
    let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>
    try {
      parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true })
    } catch (e) {
      return fail(EXIT.USAGE, `${describeError(e).message} (okflow --help lists the options)`)
    }
    const { values, positionals } = parsed
    const words = positionals[0] === 'runs' ? positionals.slice(1) : positionals
    const [name, ...args] = words
    if (values.version) {
      io.out(`${version}\n`)
      return EXIT.OK
    }
    if (values.help || name === undefined || name === 'help') {
      const topic = name === 'help' ? args[0] : name
      const text = topic === undefined ? USAGE : HELP[topic]
      if (text === undefined) return fail(EXIT.USAGE, `unknown command "${topic}" (okflow --help lists them)`)
      if (name === undefined && !values.help) {
        io.err(text)
        return EXIT.USAGE
      }
      io.out(text)
      return EXIT.OK
    }
    return await command(name, args, values, io)
  } catch (e) {
    if (e instanceof CliFailure) {
      io.err(`okflow: ${e.message}\n`)
      return e.code
    }
    io.err(`okflow: ${describeError(e).name}: ${describeError(e).message}\n`)
    return EXIT.FAILED
  }
}
