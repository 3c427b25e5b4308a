// The `okflow` binary, spawned as a user runs it, against a fileStore filled by real workflow runs.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWorkflow, err, fileStore, ok } from '../../src/index.js'
import { later } from '../helpers.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const bin = join(root, 'dist/cli.js')
let dir = ''

function okflow(...args: string[]) {
  const env = { ...process.env }
  delete env.OKFLOW_STORE
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000, env })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}
const store = () => ['--store', join(dir, 'runs')]

type Declined = { _tag: 'CardDeclined'; code: string }

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'okflow-cli-'))
  const runs = fileStore(join(dir, 'runs'))
  const wf = (runId: string) => createWorkflow({}, { name: 'checkout', store: runs, runId })
  await wf('order-ok')(async (step) => {
    await step(() => ok({ sku: 'A1', qty: 2 }), { name: 'reserve stock' })
    return step(() => ok('ch_1'), { name: 'charge card' })
  })
  await wf('order-failed')(async (step) => {
    await step(() => ok({ sku: 'A1' }), { name: 'reserve stock' })
    return step(() => err<string, Declined>({ _tag: 'CardDeclined', code: 'insufficient_funds' }), {
      name: 'charge card',
    })
  })
  const ac = new AbortController()
  setTimeout(() => ac.abort('deploy'), 20)
  await wf('order/3 <b>')(
    async (step) => {
      await step(() => ok(1), { name: '<img src=x onerror=alert(1)>' })
      return step(({ signal }) => later(10_000, ok(2), signal), { name: 'slow' })
    },
    { signal: ac.signal },
  )
})
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('okflow --help and usage', () => {
  it('prints the usage with the commands and exit codes, and exits 0', () => {
    const r = okflow('--help')
    expect(r.code).toBe(0)
    for (const word of [
      'list',
      'show <id>',
      'timeline <id>',
      'report <id>',
      'retry <id>',
      'cancel <id>',
      '--store',
      '--postgres',
      '--json',
    ])
      expect(r.stdout).toContain(word)
    expect(r.stdout).toMatch(
      /Exit codes:\n\s+0 done\s+1 the store failed\s+2 usage error\s+3 no such run or store\s+4 not supported/,
    )
  })

  it('has help for each command, with or without "runs"', () => {
    for (const c of ['list', 'show', 'timeline', 'report', 'retry', 'cancel']) {
      const r = okflow('runs', c, '--help')
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(new RegExp(`^Usage: okflow runs ${c}`))
      expect(okflow(c, '-h').stdout).toBe(r.stdout)
      expect(okflow('help', c).stdout).toBe(r.stdout)
    }
  })

  it('exits 2 with a message on stderr for usage errors', () => {
    const cases: [string[], RegExp][] = [
      [[], /Usage: okflow runs <command>/],
      [['runs', 'frobnicate', ...store()], /unknown command "frobnicate"/],
      [['runs', 'list', '--colour'], /Unknown option '--colour'/],
      [['runs', 'list'], /which store\?/],
      [['runs', 'show', ...store()], /needs a run id/],
      [['runs', 'list', '--limit', '0', ...store()], /--limit must be a whole number above 0, not "0"/],
      [['runs', 'list', ...store(), '--postgres', 'postgres://x'], /not both/],
      [['runs', 'report', 'order-ok', '--json', ...store()], /--json goes with -o/],
    ]
    for (const [args, message] of cases) {
      const r = okflow(...args)
      expect({ args, code: r.code }).toEqual({ args, code: 2 })
      expect(r.stderr).toMatch(message)
      expect(r.stdout).toBe('')
    }
  })

  it('prints its version', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
    expect(okflow('--version').stdout.trim()).toBe(pkg.version)
  })
})

describe('okflow runs list', () => {
  it('lists every stored run with its state and steps', () => {
    const r = okflow('runs', 'list', ...store())
    expect(r.code).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^RUN ID\s+STATE\s+STEPS\s+UPDATED \(UTC\)$/)
    expect(
      lines
        .slice(1)
        .map((l) => l.split(/\s{2,}/).slice(0, 3))
        .sort(),
    ).toEqual([
      ['order-failed', 'failed', '2'],
      ['order-ok', 'ok', '2'],
      ['order/3 <b>', 'incomplete', '1'],
    ])
  })

  it('--json gives an array, --limit cuts it', () => {
    const runs = JSON.parse(okflow('runs', 'list', '--json', ...store()).stdout) as { runId: string; state: string }[]
    expect(Object.fromEntries(runs.map((r) => [r.runId, r.state]))).toEqual({
      'order-ok': 'ok',
      'order-failed': 'failed',
      'order/3 <b>': 'incomplete',
    })
    expect(JSON.parse(okflow('list', '--json', '--limit', '1', ...store()).stdout)).toHaveLength(1)
  })

  it('exits 3 when there is no store at that path', () => {
    const r = okflow('runs', 'list', '--store', join(dir, 'nowhere'))
    expect(r.code).toBe(3)
    expect(r.stderr).toContain('no store at')
  })
})

describe('okflow runs show', () => {
  it("shows a run's records: steps, outcomes, values and the run's outcome", () => {
    const r = okflow('runs', 'show', 'order-failed', ...store())
    expect(r.code).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toBe('run order-failed · failed · 2 steps recorded')
    expect(lines[2]).toMatch(/^0\s+reserve stock\s+ok\s+\{"sku":"A1"\}$/)
    expect(lines[3]).toMatch(/^1\s+charge card\s+err\s+CardDeclined · code=insufficient_funds$/)
    expect(lines[4]).toMatch(/^=\s+\(run outcome\)\s+err\s+CardDeclined · code=insufficient_funds$/)
  })

  it('--json gives the records as stored', () => {
    const run = JSON.parse(okflow('runs', 'show', 'order-ok', '--json', ...store()).stdout)
    expect(run).toMatchObject({ runId: 'order-ok', state: 'ok', steps: 2 })
    expect(run.records).toEqual([
      { seq: 0, key: 'reserve stock', ok: true, value: { sku: 'A1', qty: 2 } },
      { seq: 1, key: 'charge card', ok: true, value: 'ch_1' },
      { seq: -1, key: '$result', ok: true, value: 'ch_1' },
    ])
  })

  it('exits 3 for a run that is not there', () => {
    const r = okflow('runs', 'show', 'order-404', ...store())
    expect(r.code).toBe(3)
    expect(r.stderr).toBe('okflow: no run "order-404" in this store\n')
  })

  it('exits 1 when the store is damaged', () => {
    const bad = join(dir, 'damaged')
    rmSync(bad, { recursive: true, force: true })
    const runs = join(bad, 'x.jsonl')
    mkdirSync(bad)
    writeFileSync(runs, '{"seq":0,"key":"a","ok":true}\nnot json\n{"seq":1,"key":"b","ok":true}\n')
    const r = okflow('runs', 'show', 'x', '--store', bad)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/line 2 is not a record/)
  })
})

describe('okflow runs timeline and report', () => {
  it('draws the timeline from the records, saying that this store keeps no times', () => {
    const r = okflow('runs', 'timeline', 'order-failed', '--width', '20', ...store())
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('keeps no step times')
    const rows = r.stdout.split('\n').filter((l) => l.includes('│'))
    expect(rows.map((l) => l.split('│')[0]!.trim())).toEqual(['reserve stock', 'charge card'])
    expect(rows[0]).toContain('✓')
    expect(rows[1]).toContain('✗')
    expect(rows[0]!.split('│')[1]).toHaveLength(20)
    const json = JSON.parse(okflow('runs', 'timeline', 'order-failed', '--json', ...store()).stdout)
    expect(json.steps.map((s: { name: string; status: string }) => [s.name, s.status])).toEqual([
      ['reserve stock', 'ok'],
      ['charge card', 'error'],
    ])
    expect(json.steps[1].error).toMatchObject({ name: 'CardDeclined', fields: [['code', 'insufficient_funds']] })
  })

  it('writes a report with -o, escaping what the run holds', () => {
    const file = join(dir, 'report.html')
    const r = okflow('runs', 'report', 'order/3 <b>', '-o', file, ...store())
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/^wrote .*report\.html \([\d,]+ bytes\)\n$/)
    const html = readFileSync(file, 'utf8')
    expect(html).toContain('<!doctype html>')
    expect(html).toContain('keeps no step times')
    expect(html).toContain('order/3 &lt;b&gt;')
    expect(html).not.toContain('<img src=x')
    const asJson = JSON.parse(okflow('report', 'order-ok', '-o', file, '--json', ...store()).stdout)
    expect(asJson).toEqual({ file, bytes: readFileSync(file).length })
  })

  it('prints the report on stdout without -o', () => {
    const r = okflow('runs', 'report', 'order-ok', ...store())
    expect(r.code).toBe(0)
    expect(r.stdout.startsWith('<!doctype html>')).toBe(true)
    expect(r.stdout).toContain('charge card')
  })
})

describe('okflow runs retry / cancel / --postgres (not in this build)', () => {
  it('exits 4, saying what the command needs', () => {
    for (const c of ['retry', 'cancel']) {
      const r = okflow('runs', c, 'order-failed', ...store())
      expect(r.code).toBe(4)
      expect(r.stderr).toContain(`okflow runs ${c} needs a store driven by the okflow client`)
    }
    const pg = okflow('runs', 'list', '--postgres', 'postgres://localhost/db')
    expect(pg.code).toBe(4)
    expect(pg.stderr).toContain('Postgres store is not in this build')
  })
})
