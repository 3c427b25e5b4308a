// The `okflow` binary, spawned as a user runs it, against a fileStore and a Postgres store filled
// by real runs: createWorkflow runs (a journal only) and registered runs started by a client and
// run by a worker — one that succeeded, one that failed (to retry), one pending (to cancel).
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { errAsync, okAsync, type Result, type ResultAsync } from 'neverthrow'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import {
  createClient,
  createWorker,
  createWorkflow,
  defineWorkflow,
  err,
  fileStore,
  ok,
  type RunStore,
  type StepRecord,
} from '../../src/index.js'
import { postgresStore } from '../../src/postgres/index.js'
import { later, laterOk } from '../helpers.js'
import { dropSchema, freshSchema, testPool } from '../postgres/helpers.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const bin = join(root, 'dist/cli.js')
const dir = mkdtempSync(join(tmpdir(), 'okflow-cli-'))
const pool = testPool(4)
const schema = freshSchema('cli')

interface Ran {
  code: number | null
  stdout: string
  stderr: string
}
/** Runs the built binary (async: workers of this process keep their heartbeats meanwhile). */
function okflow(...args: string[]): Promise<Ran> {
  return okflowWith([], ...args)
}
function okflowWith(nodeArgs: string[], ...args: string[]): Promise<Ran> {
  const env = { ...process.env }
  delete env.OKFLOW_STORE
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, bin, ...args], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s
    })
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}
const json = async (...args: string[]) => {
  const r = await okflow(...args, '--json')
  expect({ args, code: r.code, stderr: r.stderr }).toMatchObject({ args, code: 0 })
  return JSON.parse(r.stdout)
}

type Declined = { _tag: 'CardDeclined'; code: string }

/** A registered checkout whose card is declined while `declines` > 0; counts the step calls. */
function checkoutFixture() {
  const calls = { reserve: 0, charge: 0 }
  const deps = {
    declines: 1,
    charge(orderId: string): ResultAsync<string, Declined> {
      calls.charge++
      return this.declines-- > 0
        ? errAsync({ _tag: 'CardDeclined', code: 'insufficient_funds' })
        : okAsync(`ch_${orderId}`)
    },
  }
  const checkout = defineWorkflow('checkout', deps, async (step, d, input: { orderId: string }) => {
    await step(
      () => {
        calls.reserve++
        return okAsync({ sku: 'A1', order: input.orderId })
      },
      { name: 'reserve stock' },
    )
    return step(() => d.charge(input.orderId), { name: 'charge card' })
  })
  // Started, never run by the workers of this file (they do not know it): stays pending.
  const refund = defineWorkflow('refund', {}, async (step, _d, input: { orderId: string }) =>
    step(() => ok(input.orderId), { name: 'refund' }),
  )
  // Waits on its step's signal: running until it is cancelled.
  const slow = defineWorkflow('slow', { laterOk }, async (step, d) =>
    step(({ signal }) => d.laterOk(60_000, 'late', signal), { name: 'wait for ever' }),
  )
  return { checkout, refund, slow, calls, deps }
}

/** The same runs in any store: three createWorkflow runs and three registered ones. */
async function fill(store: RunStore) {
  const decline = (): Result<string, Declined> => err({ _tag: 'CardDeclined', code: 'insufficient_funds' })
  const wf = (runId: string) => createWorkflow({ decline, laterOk }, { name: 'checkout', store, runId })
  await wf('order-ok')(async (step) => {
    await step(() => ok({ sku: 'A1', qty: 2 }), { name: 'reserve stock' })
    return step(() => ok('ch_1'), { name: 'charge card' })
  })
  await wf('order-failed')(async (step) => {
    await step(() => ok({ sku: 'A1' }), { name: 'reserve stock' })
    return step(() => decline(), { name: 'charge card' })
  })
  // Cancelled once its slow step runs (not after a fixed delay: the store opens first).
  const ac = new AbortController()
  await wf('order/3 <b>')(
    async (step) => {
      await step(() => ok(1), { name: '<img src=x onerror=alert(1)>' })
      return step(({ signal }) => laterOk(10_000, 2, signal), { name: 'slow' })
    },
    {
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'step_start' && e.name === 'slow') ac.abort('deploy')
      },
    },
  )

  const fx = checkoutFixture()
  const client = createClient(store, { pollMs: 10 })
  const worker = createWorker(store, [fx.checkout], { pollMs: 10 })
  expect((await worker.start()).isOk()).toBe(true)
  const failed = await client.start(fx.checkout, { orderId: 'r1' }, { runId: 'reg-failed' })
  expect((await client.result(failed._unsafeUnwrap().runId, { timeoutMs: 10_000 })).isErr()).toBe(true)
  const good = await client.start(fx.checkout, { orderId: 'r2' }, { runId: 'reg-ok' })
  expect((await client.result(good._unsafeUnwrap().runId, { timeoutMs: 10_000 })).isOk()).toBe(true)
  await worker.close({ drainMs: 0 })
  expect((await client.start(fx.refund, { orderId: 'r3' }, { runId: 'reg-pending' })).isOk()).toBe(true)
  return { ...fx, client }
}

type Fixture = Awaited<ReturnType<typeof fill>>
const fixtures: Record<string, { flags: string[]; store: RunStore; fx: Fixture }> = {}

beforeAll(async () => {
  const files = fileStore(join(dir, 'runs'))
  fixtures.fileStore = { flags: ['--store', join(dir, 'runs')], store: files, fx: await fill(files) }
  const pg = postgresStore(pool, { schema })
  ;(await pg.migrate())._unsafeUnwrap()
  fixtures.postgresStore = { flags: ['--postgres', inject('pgUrl'), '--schema', schema], store: pg, fx: await fill(pg) }
}, 60_000)
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await dropSchema(pool, schema)
  await pool.end()
})

const fileFlags = () => fixtures.fileStore!.flags

describe('okflow --help and usage', () => {
  it('prints the usage with the commands and exit codes, and exits 0', async () => {
    const r = await okflow('--help')
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
      '--schema',
      '--json',
    ])
      expect(r.stdout).toContain(word)
    expect(r.stdout).toMatch(
      /Exit codes:\n\s+0 done\s+1 the store failed\s+2 usage error\s+3 no such run or store\s+4 not supported/,
    )
  })

  it('has help for each command, with or without "runs"', async () => {
    for (const c of ['list', 'show', 'timeline', 'report', 'retry', 'cancel']) {
      const r = await okflow('runs', c, '--help')
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(new RegExp(`^Usage: okflow runs ${c}`))
      expect((await okflow(c, '-h')).stdout).toBe(r.stdout)
      expect((await okflow('help', c)).stdout).toBe(r.stdout)
    }
    expect((await okflow('runs', 'list', '--help')).stdout).toMatch(/--workflow w[\s\S]*--state s[\s\S]*--limit n/)
  })

  it('exits 2 with a message on stderr for usage errors', async () => {
    const cases: [string[], RegExp][] = [
      [[], /Usage: okflow runs <command>/],
      [['runs', 'frobnicate', ...fileFlags()], /unknown command "frobnicate"/],
      [['runs', 'list', '--colour'], /Unknown option '--colour'/],
      [['runs', 'list'], /which store\?/],
      [['runs', 'show', ...fileFlags()], /needs a run id/],
      [['runs', 'retry', ...fileFlags()], /needs a run id/],
      [['runs', 'list', '--limit', '0', ...fileFlags()], /--limit must be a whole number above 0, not "0"/],
      [['runs', 'list', '--state', 'done', ...fileFlags()], /--state must be one of pending, running, .*, not "done"/],
      [['runs', 'list', '--workflow', '', ...fileFlags()], /--workflow needs a workflow name/],
      [['runs', 'list', ...fileFlags(), '--postgres', 'postgres://x'], /not both/],
      [['runs', 'list', ...fileFlags(), '--schema', 's'], /--schema goes with --postgres/],
      [['runs', 'list', '--postgres', inject('pgUrl'), '--schema', 'a-b; DROP'], /--schema must be a name/],
      [['runs', 'report', 'order-ok', '--json', ...fileFlags()], /--json goes with -o/],
    ]
    for (const [args, message] of cases) {
      const r = await okflow(...args)
      expect({ args, code: r.code }).toEqual({ args, code: 2 })
      expect(r.stderr).toMatch(message)
      expect(r.stdout).toBe('')
    }
  })

  it('prints its version', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
    expect((await okflow('--version')).stdout.trim()).toBe(pkg.version)
  })
})

describe.each(['fileStore', 'postgresStore'])('okflow runs on a %s', (kind) => {
  const flags = () => fixtures[kind]!.flags
  const fx = () => fixtures[kind]!.fx

  it('list: every run, registered or not, with its workflow and state; newest first', async () => {
    const r = await okflow('runs', 'list', ...flags())
    expect(r.code).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^RUN ID\s+WORKFLOW\s+STATE\s+CREATED \(UTC\)\s+UPDATED \(UTC\)\s+ERROR$/)
    const rows = lines.slice(1).map((l) => l.split(/\s{2,}/))
    expect(rows.map((c) => c.slice(0, 3)).sort()).toEqual([
      ['order-failed', '-', 'failed'],
      ['order-ok', '-', 'succeeded'],
      ['order/3 <b>', '-', 'incomplete'],
      ['reg-failed', 'checkout', 'failed'],
      ['reg-ok', 'checkout', 'succeeded'],
      ['reg-pending', 'refund', 'pending'],
    ])
    expect(rows.find((c) => c[0] === 'reg-failed')!.at(-1)).toBe(
      'CardDeclined: {"_tag":"CardDeclined","code":"insufficient_funds"}',
    )
    // Started last: first in the list.
    expect(rows[0]![0]).toBe('reg-pending')
  })

  it('list --json: the store RunInfo of registered runs, { workflow: "" , steps } for createWorkflow runs', async () => {
    const runs = (await json('runs', 'list', ...flags())) as { runId: string; createdAt?: number }[]
    const by = Object.fromEntries(runs.map((r) => [r.runId, r]))
    expect(by['reg-failed']).toMatchObject({
      workflow: 'checkout',
      version: 1,
      state: 'failed',
      input: { orderId: 'r1' },
      claims: 1,
      error: { tag: 'CardDeclined' },
    })
    expect(by['reg-pending']).toMatchObject({ workflow: 'refund', state: 'pending', claims: 0 })
    expect(by['order-ok']).toMatchObject({ workflow: '', state: 'succeeded', steps: 2 })
    expect(by['order/3 <b>']).toMatchObject({ workflow: '', state: 'incomplete', steps: 1 })
    expect(typeof by['order-ok']?.createdAt).toBe('number')
    // Exactly what the client answers for a registered run.
    expect(by['reg-ok']).toEqual((await fx().client.get('reg-ok'))._unsafeUnwrap())
  })

  it('list --workflow / --state / --limit filter and cut', async () => {
    const ids = async (...args: string[]) =>
      ((await json('runs', 'list', ...args, ...flags())) as { runId: string }[]).map((r) => r.runId).sort()
    expect(await ids('--workflow', 'checkout')).toEqual(['reg-failed', 'reg-ok'])
    expect(await ids('--workflow', 'checkout', '--state', 'failed')).toEqual(['reg-failed'])
    expect(await ids('--state', 'failed')).toEqual(['order-failed', 'reg-failed'])
    expect(await ids('--state', 'incomplete')).toEqual(['order/3 <b>'])
    expect(await ids('--workflow', 'nope')).toEqual([])
    expect(await ids('--limit', '2')).toHaveLength(2)
    expect(await ids('--workflow', 'checkout', '--limit', '1')).toHaveLength(1)
  })

  it('show: the recorded steps with names, outcomes, times and values', async () => {
    const r = await okflow('runs', 'show', 'order-failed', ...flags())
    expect(r.code).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toBe('run order-failed · failed · 2 steps recorded')
    expect(lines[1]).toMatch(/^#\s+STEP\s+OUTCOME\s+TIME\s+VALUE$/)
    expect(lines[2]).toMatch(/^0\s+reserve stock\s+ok\s+\d+ ms\s+\{"sku":"A1"\}$/)
    expect(lines[3]).toMatch(/^1\s+charge card\s+err\s+\d+ ms\s+CardDeclined · code=insufficient_funds$/)
    expect(lines[4]).toMatch(/^=\s+\(run outcome\)\s+err\s+CardDeclined · code=insufficient_funds$/)

    const reg = (await okflow('show', 'reg-failed', ...flags())).stdout.split('\n')
    expect(reg[0]).toBe('run reg-failed · checkout v1 · failed · 2 steps recorded')
    expect(reg[1]).toMatch(/^created \d{4}-\d\d-\d\d \d\d:\d\d:\d\d · updated .* · claims 1 · error CardDeclined/)
  })

  it('show --json gives the records as stored, with their names and times', async () => {
    const run = await json('runs', 'show', 'order-ok', ...flags())
    expect(run).toMatchObject({ runId: 'order-ok', workflow: '', state: 'succeeded', steps: 2 })
    const records = run.records as StepRecord[]
    expect(records.map(({ seq, key, ok, value }) => ({ seq, key, ok, value }))).toEqual([
      { seq: 0, key: 'reserve stock', ok: true, value: { sku: 'A1', qty: 2 } },
      { seq: 1, key: 'charge card', ok: true, value: 'ch_1' },
      { seq: -1, key: '$result', ok: true, value: 'ch_1' },
    ])
    for (const r of records.filter((x) => x.seq >= 0)) {
      expect(r).toMatchObject({ kind: 'step', startedAt: expect.any(Number), endedAt: expect.any(Number) })
      expect(r.endedAt!).toBeGreaterThanOrEqual(r.startedAt!)
    }
    expect(records[1]!.startedAt!).toBeGreaterThanOrEqual(records[0]!.endedAt!)
    expect(records).toEqual(await fixtures[kind]!.store.load('order-ok'))
    const reg = await json('show', 'reg-ok', ...flags())
    expect(reg).toMatchObject({ runId: 'reg-ok', workflow: 'checkout', state: 'succeeded', steps: 2, claims: 1 })
  })

  it('exits 3 for a run that is not there', async () => {
    for (const c of ['show', 'timeline', 'report', 'retry', 'cancel']) {
      const r = await okflow('runs', c, 'order-404', ...flags())
      expect({ c, code: r.code }).toEqual({ c, code: 3 })
      expect(r.stderr).toBe('okflow: no run "order-404" in this store\n')
    }
  })

  it('timeline: drawn to scale from the recorded times, no note', async () => {
    for (const id of ['order-failed', 'reg-failed']) {
      const r = await okflow('runs', 'timeline', id, '--width', '20', ...flags())
      expect(r.code).toBe(0)
      expect(r.stderr).toBe('')
      const rows = r.stdout.split('\n').filter((l) => l.includes('│'))
      expect(rows.map((l) => l.split('│')[0]!.trim())).toEqual(['reserve stock', 'charge card'])
      expect(rows[0]).toContain('✓')
      expect(rows[1]).toContain('✗')
      expect(rows[0]!.split('│')[1]).toHaveLength(20)
    }
    const model = await json('runs', 'timeline', 'reg-failed', ...flags())
    expect(model).toMatchObject({ workflow: 'checkout', runId: 'reg-failed', status: 'error' })
    expect(model.steps.map((s: { name: string; status: string }) => [s.name, s.status])).toEqual([
      ['reserve stock', 'ok'],
      ['charge card', 'error'],
    ])
    expect(model.steps[1].error).toMatchObject({ name: 'CardDeclined', fields: [['code', 'insufficient_funds']] })
    // The times are the recorded ones, not slots: start/duration agree with the records.
    const records = await fixtures[kind]!.store.load('order-failed')
    const journal = await json('runs', 'timeline', 'order-failed', ...flags())
    const [a, b] = records.filter((r) => r.seq >= 0)
    expect(journal.steps[0]).toMatchObject({ start: 0, duration: a!.endedAt! - a!.startedAt! })
    expect(journal.steps[1]).toMatchObject({
      start: b!.startedAt! - a!.startedAt!,
      duration: b!.endedAt! - b!.startedAt!,
    })
  })

  it('report -o: writes the page, escaping what the run holds', async () => {
    const file = join(dir, `report-${kind}.html`)
    const r = await okflow('runs', 'report', 'order/3 <b>', '-o', file, ...flags())
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/^wrote .*report-\w+\.html \([\d,]+ bytes\)\n$/)
    const html = readFileSync(file, 'utf8')
    expect(html).toContain('<!doctype html>')
    expect(html).not.toContain('keeps no step times')
    expect(html).toContain('order/3 &lt;b&gt;')
    expect(html).not.toContain('<img src=x')
    const asJson = await json('report', 'reg-failed', '-o', file, ...flags())
    expect(asJson).toEqual({ file, bytes: readFileSync(file).length })
    expect(readFileSync(file, 'utf8')).toContain('CardDeclined')
  })

  it('report: the page on stdout without -o', async () => {
    const r = await okflow('runs', 'report', 'reg-ok', ...flags())
    expect(r.code).toBe(0)
    expect(r.stdout.startsWith('<!doctype html>')).toBe(true)
    expect(r.stdout).toContain('charge card')
  })

  it('retry: a failed run goes back to pending, and a worker finishes it from the failed step', async () => {
    const { client, checkout, calls, deps } = fx()
    const before = { ...calls }
    const r = await okflow('runs', 'retry', 'reg-failed', ...flags())
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('run reg-failed · pending · a worker runs it again from the step that failed\n')
    expect((await client.get('reg-failed'))._unsafeUnwrap()).toMatchObject({ state: 'pending' })
    deps.declines = 0
    const worker = createWorker(fixtures[kind]!.store, [checkout], { pollMs: 10 })
    try {
      await worker.start()
      expect((await client.result('reg-failed', { timeoutMs: 10_000 }))._unsafeUnwrap()).toBe('ch_r1')
    } finally {
      await worker.close({ drainMs: 0 })
    }
    // `reserve stock` replayed from its record; only `charge card` ran again.
    expect(calls).toEqual({ reserve: before.reserve, charge: before.charge + 1 })
    // Not failed any more: retrying it again is a usage error.
    const again = await okflow('runs', 'retry', 'reg-failed', ...flags())
    expect(again.code).toBe(2)
    expect(again.stderr).toBe('okflow: run "reg-failed" is succeeded: only a failed or cancelled run can be retried\n')
  })

  it('cancel: a pending run is cancelled at once (--json: the run as stored now); an ended run exits 2', async () => {
    const info = await json('runs', 'cancel', 'reg-pending', ...flags())
    expect(info).toMatchObject({ runId: 'reg-pending', workflow: 'refund', state: 'cancelled', cancelRequested: true })
    expect((await fx().client.get('reg-pending'))._unsafeUnwrap()).toMatchObject({ state: 'cancelled' })
    const again = await okflow('runs', 'cancel', 'reg-pending', ...flags())
    expect(again.code).toBe(2)
    expect(again.stderr).toBe('okflow: run "reg-pending" has ended (cancelled): there is nothing to cancel\n')
    // A cancelled run can be retried.
    expect(await json('runs', 'retry', 'reg-pending', ...flags())).toMatchObject({ state: 'pending' })
    expect((await okflow('runs', 'cancel', 'reg-pending', ...flags())).code).toBe(0)
  })

  it('cancel: a running run is marked, and its worker stops it', async () => {
    const { client, slow } = fx()
    const store = fixtures[kind]!.store
    const worker = createWorker(store, [slow], { pollMs: 10, leaseMs: 600 })
    try {
      await worker.start()
      const run = (await client.start(slow, null, { runId: 'reg-running' }))._unsafeUnwrap()
      for (let i = 0; i < 1000 && (await client.get(run.runId))._unsafeUnwrap().state !== 'running'; i++) {
        await later(10, ok(0))
      }
      const r = await okflow('runs', 'cancel', 'reg-running', ...flags())
      expect(r.code).toBe(0)
      expect(r.stdout).toBe('run reg-running · running · cancel requested: its worker stops it at its next heartbeat\n')
      const result = await client.result(run.runId, { timeoutMs: 10_000 })
      expect(result._unsafeUnwrapErr()).toMatchObject({ _tag: 'CancelledError' })
      expect((await client.get(run.runId))._unsafeUnwrap()).toMatchObject({ state: 'cancelled' })
    } finally {
      await worker.close({ drainMs: 0 })
    }
  })

  it('retry / cancel of a createWorkflow run exit 4: no worker runs it', async () => {
    for (const c of ['retry', 'cancel']) {
      const r = await okflow('runs', c, 'order-failed', ...flags())
      expect(r.code).toBe(4)
      expect(r.stderr).toContain('was written by createWorkflow, not started by a client')
    }
  })
})

describe('okflow on a fileStore: missing and damaged stores', () => {
  it('exits 3 when there is no store at that path', async () => {
    const r = await okflow('runs', 'list', '--store', join(dir, 'nowhere'))
    expect(r.code).toBe(3)
    expect(r.stderr).toBe(`okflow: no store at ${join(dir, 'nowhere')}\n`)
  })

  it('exits 1 when the store is damaged', async () => {
    const bad = join(dir, 'damaged')
    mkdirSync(bad, { recursive: true })
    writeFileSync(join(bad, 'x.jsonl'), '{"seq":0,"key":"a","ok":true}\nnot json\n{"seq":1,"key":"b","ok":true}\n')
    const r = await okflow('runs', 'show', 'x', '--store', bad)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/line 2 is not a record/)
  })

  it('draws records without times in order, one slot each, and says so', async () => {
    // A journal written by an older okflow: seq, key, ok and value only.
    const old = join(dir, 'old')
    mkdirSync(old, { recursive: true })
    writeFileSync(
      join(old, 'legacy.jsonl'),
      `${[
        { seq: 0, key: 'a', ok: true, value: 1 },
        { seq: 1, key: 'b', ok: false, value: { $okflowError: { name: 'Error', message: 'boom' } } },
        { seq: -1, key: '$result', ok: false, value: { $okflowError: { name: 'Error', message: 'boom' } } },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n')}\n`,
    )
    const r = await okflow('runs', 'timeline', 'legacy', '--store', old)
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('keep no step times')
    const rows = r.stdout.split('\n').filter((l) => l.includes('│'))
    expect(rows.map((l) => l.split('│')[0]!.trim())).toEqual(['a', 'b'])
    const model = await json('timeline', 'legacy', '--store', old)
    expect(model.steps.map((s: { start: number; duration: number }) => [s.start, s.duration])).toEqual([
      [0, 1],
      [1, 1],
    ])
    const file = join(old, 'legacy.html')
    expect((await okflow('report', 'legacy', '-o', file, '--store', old)).code).toBe(0)
    expect(readFileSync(file, 'utf8')).toContain('keep no step times')
    const shown = (await okflow('show', 'legacy', '--store', old)).stdout.split('\n')
    expect(shown[2]).toMatch(/^0\s+a\s+ok\s+-\s+1$/)
  })

  it('a journal with compensation markers (seq <= -2): show names them, the outcome is seq -1 only, timeline stays to scale', async () => {
    const comp = join(dir, 'comp')
    mkdirSync(comp, { recursive: true })
    const boom = { $okflowError: { name: 'Error', message: 'boom' } }
    writeFileSync(
      join(comp, 'refund.jsonl'),
      `${[
        { seq: 0, key: 'charge', ok: true, value: 1, startedAt: 1000, endedAt: 1010 },
        { seq: 1, key: 'ship', ok: false, value: boom, startedAt: 1010, endedAt: 1030 },
        { seq: -2, key: '$compensate', ok: true }, // no times: markers are not drawn
        { seq: -3, key: '$compensate', ok: true, value: 'refunded' },
        { seq: -1, key: '$result', ok: false, value: boom, endedAt: 1040 },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n')}\n`,
    )
    const shown = await okflow('show', 'refund', '--store', comp)
    expect(shown.code).toBe(0)
    const lines = shown.stdout.split('\n')
    expect(lines[0]).toContain('failed · 2 steps recorded')
    expect(lines.find((l) => l.startsWith('c0'))).toMatch(/^c0\s+compensation of charge started\s+ok/)
    expect(lines.filter((l) => l.startsWith('c0'))[1]).toMatch(
      /^c0\s+compensation of charge ended\s+ok\s+-\s+refunded$/,
    )
    const listed = await json('list', '--store', comp)
    expect(listed).toMatchObject([{ runId: 'refund', state: 'failed', steps: 2 }])
    const timeline = await okflow('timeline', 'refund', '--store', comp)
    expect(timeline.code).toBe(0)
    expect(timeline.stderr).not.toContain('keep no step times')
    const rows = timeline.stdout.split('\n').filter((l) => l.includes('│'))
    expect(rows.map((l) => l.split('│')[0]!.trim())).toEqual(['charge', 'ship'])
  })
})

describe('okflow on Postgres: missing schema, server down', () => {
  it('exits 3 when the schema holds no okflow store (and creates nothing)', async () => {
    const none = freshSchema('cli_none')
    const r = await okflow('runs', 'list', '--postgres', inject('pgUrl'), '--schema', none)
    expect(r.code).toBe(3)
    expect(r.stderr).toBe(`okflow: no okflow store in schema "${none}" of that database (store.migrate() creates it)\n`)
    const { rows } = await pool.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [none])
    expect(rows).toEqual([])
  })

  it('exits 1 when the server cannot be reached', async () => {
    const r = await okflow('runs', 'list', '--postgres', 'postgres://postgres@127.0.0.1:1/postgres')
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^okflow: Store queue failed/)
  })
})

describe('okflow without pg installed', () => {
  // The preload makes `pg` unresolvable, as in a project that did not install the optional peer.
  const noPg = ['--import', fileURLToPath(new URL('../postgres/fixtures/no-pg.mjs', import.meta.url))]

  it('reads a fileStore (pg is loaded only for --postgres), and --postgres exits 4 naming the package', async () => {
    const files = await okflowWith(noPg, 'runs', 'list', '--json', ...fileFlags())
    expect(files.stderr).toBe('')
    expect(files.code).toBe(0)
    expect((JSON.parse(files.stdout) as { runId: string }[]).map((r) => r.runId)).toEqual(
      expect.arrayContaining(['reg-ok', 'order-ok']),
    )
    const pg = await okflowWith(noPg, 'runs', 'list', '--postgres', inject('pgUrl'))
    expect(pg.code).toBe(4)
    expect(pg.stderr).toBe('okflow: --postgres needs the pg package: npm install pg\n')
  })
})
