// Two worker processes share runs in Postgres; one is killed (SIGKILL) in the middle of its runs.
// The other takes them over once their lease runs out and resumes each from its last saved step.
// Uses DATABASE_URL, or starts a throw-away cluster (needs the PostgreSQL binaries, e.g. initdb).
// Run: npm run example -- two-workers
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { okAsync } from 'neverthrow'
import { createClient, createWorker, defineWorkflow, shutdownSignal } from 'okflow'
import { postgresStore } from 'okflow/postgres'
import pg from 'pg'

const LEASE_MS = 1500
const STEPS = ['pick', 'pack', 'label', 'ship']

/** Four steps of 150 ms each; the worker tells the parent which step it starts (or replays). */
const packOrder = defineWorkflow(
  'pack-order',
  {},
  async (step, _deps, input: { order: string }) => {
    const done: string[] = []
    for (const name of STEPS) {
      done.push(
        await step(() => new Promise<void>((r) => setTimeout(r, 150)).then(() => okAsync(`${name}ed ${input.order}`)), {
          name,
        }),
      )
    }
    return done.length
  },
  { version: 1 },
)

type Note = { worker: string; runId: string; step: string; replayed: boolean }

async function worker(url: string, schema: string, name: string) {
  const pool = new pg.Pool({ connectionString: url, max: 4 })
  pool.on('error', () => {})
  const stop = shutdownSignal()
  const w = createWorker(postgresStore(pool, { schema }), [packOrder], {
    concurrency: 2,
    leaseMs: LEASE_MS,
    pollMs: 50,
    signal: stop,
    onEvent: (e) => {
      if (e.type === 'step_start') {
        process.send?.({ worker: name, runId: e.runId, step: e.name, replayed: e.replayed === true } satisfies Note)
      }
    },
  })
  stop.addEventListener('abort', async () => {
    await w.close()
    await pool.end()
    process.disconnect?.()
  })
  await w.start()
  process.send?.('ready')
}

async function main() {
  let url = process.env.DATABASE_URL
  let cluster: { url: string; destroy(): void } | undefined
  if (!url) {
    const { startCluster } = await import('../test/setup/pg-cluster.mjs')
    cluster = await startCluster()
    url = cluster.url
  }
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  const schema = `two_workers_${process.pid}`
  const store = postgresStore(pool, { schema })
  const children: ChildProcess[] = []
  try {
    const migrated = await store.migrate()
    if (migrated.isErr()) throw migrated.error
    const client = createClient(store, { pollMs: 50 })
    const runs = []
    for (const order of ['A-1', 'A-2', 'A-3', 'A-4']) {
      const r = await client.start(packOrder, { order }, { runId: `order-${order}`, idempotencyKey: order })
      if (r.isErr()) throw r.error
      runs.push(r.value.runId)
    }

    const notes: Note[] = []
    const spawn = (name: string) =>
      new Promise<ChildProcess>((resolve) => {
        const c = fork(fileURLToPath(import.meta.url), ['worker', url as string, schema, name], {
          execArgv: ['--import', 'tsx'],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        })
        children.push(c)
        c.on('message', (m: Note | 'ready') => {
          if (m === 'ready') resolve(c)
          else notes.push(m)
        })
      })
    const [a] = await Promise.all([spawn('worker 1'), spawn('worker 2')])
    // Kill worker 1 once it is inside the third step of a run: two steps of that run are saved.
    while (!notes.some((n) => n.worker === 'worker 1' && n.step === 'label')) await new Promise((r) => setTimeout(r, 5))
    a.kill('SIGKILL')
    console.log('worker 1 killed (SIGKILL) inside step "label"')

    for (const runId of runs) {
      const r = await client.result(runId, { timeoutMs: 30_000 })
      const by = [...new Set(notes.filter((n) => n.runId === runId).map((n) => n.worker))].join(' → ')
      console.log(`${runId}: ${r.isOk() ? `ok, ${r.value} steps` : `err ${String(r.error)}`} (run by ${by})`)
    }
    const takenOver = runs.filter((id) => notes.some((n) => n.runId === id && n.worker === 'worker 1'))
    for (const runId of takenOver) {
      const resumed = notes.filter((n) => n.runId === runId && n.worker === 'worker 2')
      if (resumed.length === 0) continue
      const replayed = resumed.filter((n) => n.replayed).map((n) => n.step)
      const ran = resumed.filter((n) => !n.replayed).map((n) => n.step)
      console.log(
        `  taken over by worker 2 after the lease ran out: ${runId} replayed [${replayed.join(', ')}], ran [${ran.join(', ')}]`,
      )
    }
    const runsList = (await client.list())._unsafeUnwrap()
    console.log(`states: ${runsList.map((r) => r.state).join(', ')}`)
  } finally {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve()
            c.once('exit', () => resolve())
            c.kill('SIGTERM')
          }),
      ),
    )
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {})
    await pool.end()
    cluster?.destroy()
  }
}

const [, , mode, ...args] = process.argv
if (mode === 'worker') await worker(args[0] as string, args[1] as string, args[2] as string)
else await main()
