import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { describeError, printable, showValue } from '../internal/describe-error.js'
import { renderHtmlReport } from '../report/html.js'
import { reportModel } from '../report/model.js'
import { renderTimeline } from '../workflow/timeline.js'
import { CliFailure, eventsFor, fileSource, type RunDetail, type RunSource, recordValue } from './source.js'

/** Exit codes scripts can rely on. */
export const EXIT = {
  /** The command did what it was asked. */
  OK: 0,
  /** The store could not be read or written (I/O error, damaged record). */
  FAILED: 1,
  /** Bad arguments: unknown command or option, a missing run id or store. */
  USAGE: 2,
  /** No such run, or no store at that path. */
  NOT_FOUND: 3,
  /** The store cannot do this (retry/cancel on a read-only store, a store not in this build). */
  NOT_SUPPORTED: 4,
} as const

/** Where output goes: stdout for results, stderr for messages. */
export interface CliIO {
  out(text: string): void
  err(text: string): void
}

const USAGE = `okflow — look at durable workflow runs

Usage: okflow runs <command> [options]      ("runs" may be left out)

Commands:
  list                  the stored runs, newest first
  show <id>             a run's recorded steps and outcome
  timeline <id>         an ASCII timeline of a run
  report <id> [-o f]    a self-contained HTML report of a run (stdout, or the file f)
  retry <id>            run a failed run again from the step that failed
  cancel <id>           cancel a run

Store (one of):
  --store <dir>         a fileStore directory (default: $OKFLOW_STORE)
  --postgres <url>      a Postgres store

Options:
  --json                machine-readable output on stdout
  -h, --help            help; after a command, that command's help
  -v, --version         okflow's version

Exit codes:
  0 done   1 the store failed   2 usage error   3 no such run or store   4 not supported by this store
`

const HELP: Record<string, string> = {
  list: `Usage: okflow runs list [--limit n] [--json] (--store <dir> | --postgres <url>)

The stored runs, newest first: id, state (ok, failed, incomplete), steps recorded, last write.
  --limit n   at most n runs
  --json      an array of { runId, state, steps, updatedAt }
`,
  show: `Usage: okflow runs show <id> [--json] (--store <dir> | --postgres <url>)

A run's recorded steps in order, each with its outcome and value, then the run's outcome.
  --json      { runId, state, steps, updatedAt, records }; errors as { $okflowError: { name, message, … } }
`,
  timeline: `Usage: okflow runs timeline <id> [--width n] [--json] (--store <dir> | --postgres <url>)

The run as an ASCII timeline (renderTimeline). Stores that keep no step times draw the steps in
order, one slot each, and say so on stderr.
  --width n   characters of the bar area (default 50)
  --json      the run as drawn: { workflow, runId, status, durationMs, steps: [{ name, status, start, duration, … }] }
`,
  report: `Usage: okflow runs report <id> [-o file] [--json] (--store <dir> | --postgres <url>)

A self-contained HTML page of the run (renderHtmlReport), on stdout or written to a file.
  -o, --output file   write the page there
  --json              with -o: { file, bytes } on stdout
`,
  retry: `Usage: okflow runs retry <id> (--store <dir> | --postgres <url>)

Marks a failed run to run again from the step that failed (its saved ok steps are kept).
Needs a store driven by the okflow client; a fileStore of this version can only be read (exit 4).
`,
  cancel: `Usage: okflow runs cancel <id> (--store <dir> | --postgres <url>)

Cancels a run. Needs a store driven by the okflow client; a fileStore of this version can only
be read (exit 4).
`,
}

const OPTIONS = {
  store: { type: 'string' },
  postgres: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  output: { type: 'string', short: 'o' },
  limit: { type: 'string' },
  width: { type: 'string' },
} as const

type Flags = {
  store?: string | undefined
  postgres?: string | undefined
  json?: boolean | undefined
  output?: string | undefined
  limit?: string | undefined
  width?: string | undefined
}

const fail = (code: number, message: string): never => {
  throw new CliFailure(code, message)
}

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
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n')
}
const when = (ms: number | undefined) =>
  ms === undefined ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19)
const oneLine = (v: unknown, ok: boolean) => {
  if (ok) return v === undefined ? '' : showValue(v, 80)
  const e = describeError(v)
  return showValue(
    [`${e.name}${e.message ? `: ${e.message}` : ''}`, ...e.fields.map(([k, x]) => `${k}=${x}`)].join(' · '),
    100,
  )
}

/** Opens the store the flags name. The Postgres store and the client are not in this build yet. */
function sourceOf(flags: Flags): RunSource {
  if (flags.store !== undefined && flags.postgres !== undefined)
    fail(EXIT.USAGE, 'give --store or --postgres, not both')
  if (flags.postgres !== undefined) fail(EXIT.NOT_SUPPORTED, 'the Postgres store is not in this build of okflow yet')
  const dir = flags.store ?? process.env.OKFLOW_STORE
  if (!dir) return fail(EXIT.USAGE, 'which store? give --store <dir> (or set OKFLOW_STORE) or --postgres <url>')
  return fileSource(dir)
}

async function runOf(source: RunSource, id: string | undefined, command: string): Promise<RunDetail> {
  if (id === undefined) fail(EXIT.USAGE, `okflow runs ${command} needs a run id`)
  const run = await source.get(id as string)
  return run ?? fail(EXIT.NOT_FOUND, `no run "${id}" in this store`)
}

const NO_TIMES = 'This store keeps no step times: steps are shown in order, one slot each, not to scale.'

async function command(name: string, args: string[], flags: Flags, io: CliIO): Promise<number> {
  const json = flags.json === true
  const print = (v: unknown) => io.out(`${JSON.stringify(v, null, 2)}\n`)
  const source = sourceOf(flags)
  switch (name) {
    case 'list': {
      const runs = await source.list({ limit: positiveInt('limit', flags.limit) })
      if (json) print(runs)
      else if (runs.length === 0) io.err('no runs in this store\n')
      else
        io.out(
          `${pad([['RUN ID', 'STATE', 'STEPS', 'UPDATED (UTC)'], ...runs.map((r) => [r.runId, r.state, String(r.steps), when(r.updatedAt)])])}\n`,
        )
      return EXIT.OK
    }
    case 'show': {
      const run = await runOf(source, args[0], name)
      if (json) {
        const { events: _, ...rest } = run
        print(rest)
        return EXIT.OK
      }
      const rows = [['#', 'STEP', 'OUTCOME', 'VALUE']]
      for (const r of run.records) {
        const value = recordValue(r)
        rows.push([
          r.seq < 0 ? '=' : String(r.seq),
          r.seq < 0 ? '(run outcome)' : r.key,
          r.ok ? 'ok' : 'err',
          oneLine(value, r.ok),
        ])
      }
      io.out(`run ${printable(run.runId)} · ${run.state} · ${run.steps} step${run.steps === 1 ? '' : 's'} recorded\n`)
      if (run.records.length > 0) io.out(`${pad(rows)}\n`)
      return EXIT.OK
    }
    case 'timeline': {
      const run = await runOf(source, args[0], name)
      const { events, timed } = eventsFor(run)
      if (!timed) io.err(`note: ${NO_TIMES}\n`)
      if (json) print(reportModel(events))
      else io.out(`${renderTimeline(events, { width: positiveInt('width', flags.width) })}\n`)
      return EXIT.OK
    }
    case 'report': {
      const run = await runOf(source, args[0], name)
      const { events, timed } = eventsFor(run)
      const html = renderHtmlReport(events, timed ? {} : { note: NO_TIMES })
      if (flags.output === undefined) {
        if (json) fail(EXIT.USAGE, '--json goes with -o <file> (the page itself is the output otherwise)')
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
      const id = args[0] ?? fail(EXIT.USAGE, `okflow runs ${name} needs a run id`)
      const act = name === 'retry' ? source.retry : source.cancel
      if (!act)
        fail(
          EXIT.NOT_SUPPORTED,
          `okflow runs ${name} needs a store driven by the okflow client (store v2); this store can only be read`,
        )
      await runOf(source, id, name)
      await act!.call(source, id)
      if (json) print({ runId: id, [name === 'retry' ? 'retried' : 'cancelled']: true })
      else io.err(`${name === 'retry' ? 'retrying' : 'cancelled'} ${id}\n`)
      return EXIT.OK
    }
    default:
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
