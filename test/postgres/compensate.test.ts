// Compensation on Postgres: in process (createWorkflow with postgresStore), on a worker
// (client.cancel), and the crash test (d) of issue 19: a worker process SIGKILLed in the middle
// of its compensations; a new process resumes them without running any twice.
import { type ChildProcess, fork } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { err, ok, type Result } from 'neverthrow'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CompensatedError,
  createClient,
  createWorkflow,
  defineWorkflow,
  type StepRecord,
  type WorkflowBody,
  type WorkflowStore,
} from '../../src/index.js'
import { postgresStore } from '../../src/postgres/index.js'
import { workerCompensationSuite } from '../workflow/compensate-suite.js'
import { dropSchema, freshSchema, testPool } from './helpers.js'

const pool = testPool(6)
const schema = freshSchema('compensate')
const store = postgresStore(pool, { schema })
const dir = mkdtempSync(join(tmpdir(), 'okflow-comp-pg-'))
beforeAll(async () => {
  expect((await store.migrate()).isOk()).toBe(true)
})
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await dropSchema(pool, schema)
  await pool.end()
})

const fail = (): Result<never, 'boom'> => err('boom')
const hang = ({ signal }: { signal: AbortSignal }) =>
  new Promise<Result<never, 'aborted'>>((resolve) =>
    signal.addEventListener('abort', () => resolve(err('aborted' as const)), { once: true }),
  )
const deps = { fail, hang }

const saga =
  (log: string[]): WorkflowBody<typeof deps, string> =>
  async (step, d) => {
    const undo = (name: string) => (v: unknown) => {
      log.push(`${name}(${JSON.stringify(v)})`)
      return ok(undefined)
    }
    await step(() => ok({ id: 'r1' }), { name: 'reserve', compensate: undo('release') })
    await step(() => ok('ch-1'), { name: 'charge', compensate: undo('refund') })
    await step(() => ok(3), { name: 'ship', compensate: undo('recall') })
    await step(() => d.fail(), { name: 'confirm' })
    return 'done'
  }

function compensatedOf(r: Result<unknown, unknown>): CompensatedError {
  const e = r._unsafeUnwrapErr()
  expect(e).toBeInstanceOf(CompensatedError)
  return e as CompensatedError
}

describe('compensation on postgresStore', () => {
  it('markers around each compensation, the CompensatedError as outcome; a replay answers it and runs nothing', async () => {
    const log: string[] = []
    const wf = createWorkflow(deps, { store, runId: 'pg-c1' })
    const e = compensatedOf(await wf(saga(log)))
    expect([e.error, e.compensated]).toEqual(['boom', ['ship', 'charge', 'reserve']])
    expect(log).toEqual(['recall(3)', 'refund("ch-1")', 'release({"id":"r1"})'])
    const rows = (await pool.query(`SELECT seq FROM "${schema}".steps WHERE run_id = 'pg-c1' ORDER BY pos`)).rows
    expect(rows.map((r) => r.seq)).toEqual([0, 1, 2, 3, -6, -7, -4, -5, -2, -3, -1])
    const again = compensatedOf(await wf(saga(log)))
    expect(again.compensated).toEqual(['ship', 'charge', 'reserve'])
    expect(log).toHaveLength(3)
  })

  it('a compensation whose end marker was not written is `interrupted` on resume; the others run once', async () => {
    const log: string[] = []
    const dying: WorkflowStore = {
      acquire: (id, owner, ms) => store.acquire(id, owner, ms),
      renew: (lease, ms) => store.renew(lease, ms),
      release: (lease) => store.release(lease),
      load: (id) => store.load(id),
      append: (lease, rec: StepRecord) =>
        rec.seq === -5 ? Promise.reject(new Error('connection lost')) : store.append(lease, rec),
      reopen: (lease) => store.reopen(lease),
    }
    const first = await createWorkflow(deps, { store: dying, runId: 'pg-c2' })(saga(log))
    expect(first._unsafeUnwrapErr()).toMatchObject({ _tag: 'StoreError' })
    const e = compensatedOf(await createWorkflow(deps, { store, runId: 'pg-c2' })(saga(log)))
    expect([e.compensated, e.interrupted, e.failed]).toEqual([['ship', 'reserve'], ['charge'], []])
    expect(log).toEqual(['recall(3)', 'refund("ch-1")', 'release({"id":"r1"})'])
  })
})

// client.cancel on a worker: of a running run, and of runs sleeping off their worker.
workerCompensationSuite('postgresStore', async () => store)

describe('crash test (d): a worker SIGKILLed in the middle of its compensations', () => {
  const FIXTURE = new URL('./fixtures/compensate-worker.mjs', import.meta.url)
  const LEASE_MS = 1000
  // Only the name matters to the client (the worker processes have the body).
  const remote = defineWorkflow('saga', {}, async (_step, _deps, _input: { order: string }) => 'never')

  const spawn = (env: Record<string, string>) =>
    new Promise<ChildProcess>((resolve, reject) => {
      const child = fork(FIXTURE, [], {
        env: { ...process.env, OKFLOW_PG_URL: pool.options.connectionString as string, OKFLOW_SCHEMA: schema, ...env },
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      })
      child.on('message', (m: { type: string }) => {
        if (m.type === 'ready') resolve(child)
      })
      child.once('exit', (code, signal) => {
        if (code !== 0 && signal === null) reject(new Error(`worker exited with ${code}`))
      })
    })

  it('resumes them in a new process: none runs twice, the outcome says which ran, failed and were interrupted', async () => {
    const logFile = join(dir, 'calls.log')
    const holdFile = join(dir, 'hold')
    writeFileSync(logFile, '')
    writeFileSync(holdFile, '')
    const env = { LOG_FILE: logFile, HOLD_FILE: holdFile, LEASE_MS: String(LEASE_MS) }
    const client = createClient(store, { pollMs: 20 })
    const run = (await client.start(remote, { order: '42' }, { runId: 'crash-saga-42' }))._unsafeUnwrap()

    const first = await spawn(env)
    await new Promise<void>((resolve) => {
      first.on('message', (m: { type: string }) => {
        if (m.type === 'in-charge') resolve()
      })
    })
    const killedAt = Date.now()
    const exited = new Promise((r) => first.once('exit', r))
    first.kill('SIGKILL')
    await exited
    const before = readFileSync(logFile, 'utf8').trim().split('\n')
    // A new process must not wait: were `undo charge` run again, it would end and log a second line.
    rmSync(holdFile)
    const second = await spawn(env)
    const r = await client.result(run.runId, { timeoutMs: 30_000 })
    const tookOverAfter = Date.now() - killedAt
    const closed = new Promise((res) => second.once('exit', res))
    second.kill('SIGTERM')
    await closed

    const lines = readFileSync(logFile, 'utf8').trim().split('\n')
    const count = (what: string) => lines.filter((l) => l.startsWith(`${what} `)).length
    const pid = (what: string) =>
      Number(
        lines
          .find((l) => l.startsWith(`${what} `))
          ?.split(' ')
          .at(-1),
      )
    console.log(
      [
        `compensation crash test: killed in "undo charge"; the second process finished the run ${tookOverAfter} ms later (lease ${LEASE_MS} ms)`,
        `  calls before the kill: ${before.join(' | ')}`,
        `  calls in all: ${lines.join(' | ')}`,
      ].join('\n'),
    )
    // Each step body ran once (the second process replayed them), each compensation at most once.
    for (const s of ['step reserve', 'step charge', 'step ship']) expect(count(s)).toBe(1)
    expect([count('undo ship 3'), count('undo charge ch-42'), count('undo reserve hold-42')]).toEqual([1, 1, 1])
    expect(pid('undo ship 3')).toBe(first.pid)
    expect(pid('undo charge ch-42')).toBe(first.pid)
    expect(pid('undo reserve hold-42')).toBe(second.pid)
    expect(before).toHaveLength(5) // three steps, undo ship, undo charge (cut off)

    const e = compensatedOf(r)
    expect(e.error).toMatchObject({ _tag: 'Rejected', reason: 'the supplier said no' })
    expect(e.compensated).toEqual(['ship'])
    expect(e.interrupted).toEqual(['charge'])
    expect(e.failed.map((f) => [f.step, (f.error as { _tag: string })._tag])).toEqual([['reserve', 'StockServiceDown']])
    const info = (await client.get(run.runId))._unsafeUnwrap()
    expect([info.state, info.claims]).toEqual(['failed', 2])
    // The journal: each marker once; charge has a start marker and no end marker.
    const seqs = (
      await pool.query(`SELECT seq FROM "${schema}".steps WHERE run_id = $1 AND seq < -1 ORDER BY pos`, [run.runId])
    ).rows.map((x) => x.seq)
    expect(seqs).toEqual([-6, -7, -4, -2, -3])
  }, 60_000)
})
