// postgresStore: every store method is one SQL statement over the schema in sql.ts. Over 300
// lines because the statements are kept side by side: the fence and lease conditions they share
// are easiest to check when read together.
import { err, ok, ResultAsync } from 'neverthrow'
import { InvalidOptionsError, LeaseLostError, RunLockedError, StoreError, type StoreOperation } from '../errors.js'
import type {
  ChildRun,
  JsonValue,
  Lease,
  NewRun,
  RunFilter,
  RunInfo,
  RunState,
  RunStore,
  StepRecord,
  StoreOptions,
} from '../workflow/store/types.js'
import { SCHEMA_NAME, SCHEMA_VERSION, statements } from './sql.js'

/**
 * What postgresStore needs of a connection: a `pg` `Pool` (or `Client`) fits, and so does any
 * driver wrapper whose `query(text, params)` resolves to `{ rows }`.
 */
export interface Queryable {
  query(text: string, params?: unknown[]): PromiseLike<{ rows: unknown[]; rowCount?: number | null }>
}

export interface PostgresStoreOptions extends StoreOptions {
  /** The schema holding okflow's tables (created by `migrate`). Default `okflow`. */
  readonly schema?: string
}

/** One row of a run's lifecycle log (`created`, `claimed`, `succeeded`, `requeued`, …). */
export interface RunEvent {
  readonly type: string
  /** ms since the epoch, by the store's clock. */
  readonly at: number
  readonly data?: JsonValue
}

/** A run store in PostgreSQL: runs, step records, leases and lifecycle events are rows. */
export interface PostgresStore extends RunStore {
  readonly schema: string
  /** Creates or upgrades the schema; safe when many processes call it at once. */
  migrate(): ResultAsync<void, StoreError | InvalidOptionsError>
  /** The run's lifecycle rows, oldest first (what `client.history` adds to the step records). */
  runEvents(runId: string): Promise<readonly RunEvent[]>
  /** Ends the pool when the store made it from a connection string; a pool you passed stays yours. */
  close(): Promise<void>
}

interface Row {
  run_id: string
  workflow: string
  version: number | string
  state: RunState
  input: string
  idempotency_key: string | null
  created_at: number | string
  updated_at: number | string
  claims: number | string
  due_at: number | string | null
  cancel_requested: boolean
  reopen: boolean
  owner: string | null
  fence: number | string
  lease_expires_at: number | string | null
  error: string | null
  parent_id: string | null
  woken: boolean
}

const UNIQUE_VIOLATION = '23505'

function toRunInfo(r: Row): RunInfo {
  const info: {
    -readonly [K in keyof RunInfo]: RunInfo[K]
  } & { reopen?: boolean } = {
    runId: r.run_id,
    workflow: r.workflow,
    version: Number(r.version),
    state: r.state,
    input: JSON.parse(r.input) as JsonValue,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    claims: Number(r.claims),
  }
  if (r.idempotency_key !== null) info.idempotencyKey = r.idempotency_key
  if (r.due_at !== null) info.dueAt = Number(r.due_at)
  if (r.cancel_requested) info.cancelRequested = true
  if (r.reopen) info.reopen = true
  if (r.owner !== null) info.owner = r.owner
  if (r.error !== null) info.error = JSON.parse(r.error) as NonNullable<RunInfo['error']>
  if (r.parent_id !== null) info.parentId = r.parent_id
  if (r.woken) info.woken = true
  return info
}

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v))

/** Loads `pg` only when a store is made from a connection string (it is an optional peer). */
async function poolFrom(url: string): Promise<Queryable & { end(): Promise<void> }> {
  const mod = (await import('pg')) as unknown as { default?: PgModule } & PgModule
  const Pool = (mod.default ?? mod).Pool
  const pool = new Pool({ connectionString: url })
  // An idle connection cut off by the server (a restart) emits 'error'; without a listener
  // that would crash the process. The next query simply gets a fresh connection.
  pool.on('error', () => {})
  return pool
}
interface PgModule {
  Pool: new (o: {
    connectionString: string
  }) => Queryable & { end(): Promise<void>; on(e: 'error', f: () => void): void }
}

/**
 * A durable run store in PostgreSQL (store v2 plus the run queue for `createClient` /
 * `createWorker`). `pool` is a `pg` `Pool`, any `{ query(text, params) }`, or a connection
 * string (then `pg` is loaded on first use and `close()` ends the pool). Call `migrate()` once
 * before use (any number of processes may call it at once).
 *
 * - Every call is one SQL statement, so a pool may run them on any connection.
 * - Lease expiry is judged by the database's clock (or `options.now`, for tests).
 * - Appends are conditional on the lease's fence and owner in the same statement, and lock the
 *   run row until they commit, so a takeover and a late write of the old holder never both
 *   succeed; `(run_id, seq)` is the primary key, so a step is never recorded twice.
 * - Workers claim runs with `FOR UPDATE SKIP LOCKED`: concurrent claims never wait on, or share,
 *   a run.
 */
export function postgresStore(pool: Queryable | string, options: PostgresStoreOptions = {}): PostgresStore {
  const schema = options.schema ?? 'okflow'
  const bad =
    typeof schema !== 'string' || !SCHEMA_NAME.test(schema)
      ? new InvalidOptionsError('schema', schema, 'a schema name of letters, digits and underscores')
      : typeof pool === 'string' || typeof (pool as Partial<Queryable> | null)?.query === 'function'
        ? options.now === undefined || typeof options.now === 'function'
          ? undefined
          : new InvalidOptionsError('now', options.now, 'a function returning ms since the epoch')
        : new InvalidOptionsError('pool', pool, 'a pg Pool, an object with query(text, params), or a connection string')
  const sql = statements(bad ? 'okflow' : schema)
  const now = options.now
  let made: Promise<Queryable & { end(): Promise<void> }> | undefined
  const conn = (): PromiseLike<Queryable> => {
    if (typeof pool !== 'string') return Promise.resolve(pool)
    made ??= poolFrom(pool)
    return made
  }

  /** Runs one statement; every failure becomes a StoreError of `op` (typed ones pass through). */
  async function q<R>(op: StoreOperation, runId: string, text: string, params: unknown[], clock = true): Promise<R[]> {
    if (bad) throw bad
    try {
      const c = await conn()
      const res = await c.query(text, clock ? [now ? now() : null, ...params] : params)
      return res.rows as R[]
    } catch (e) {
      throw new StoreError(op, runId, e)
    }
  }

  // A pool may run two calls on two connections in either order: the lease calls of one run made
  // through this store are applied in the order they were made (a renew asked for after a release
  // must not run first and pass).
  const chains = new Map<string, Promise<unknown>>()
  function inOrder<T>(runId: string, f: () => Promise<T>): Promise<T> {
    const p = (chains.get(runId) ?? Promise.resolve()).then(f, f)
    const tail = p.catch(() => {})
    chains.set(runId, tail)
    void tail.then(() => {
      if (chains.get(runId) === tail) chains.delete(runId)
    })
    return p
  }

  async function write(lease: Lease, records: readonly StepRecord[]): Promise<void> {
    if (records.length === 0) return
    let rows: unknown[]
    try {
      rows = await q('append', lease.runId, `${sql.append} RETURNING 1`, [
        lease.runId,
        lease.fence,
        lease.owner,
        records.map((r) => r.seq),
        records.map((r) => r.ok),
        records.map((r) => JSON.stringify(r)),
      ])
    } catch (e) {
      const code = (e as StoreError).cause as { code?: string } | undefined
      if (code?.code === UNIQUE_VIOLATION) {
        throw new StoreError(
          'append',
          lease.runId,
          new Error(
            `a step of run "${lease.runId}" at seq ${records.map((r) => r.seq).join(', ')} is already recorded`,
          ),
        )
      }
      throw e
    }
    if (rows.length === 0) throw new LeaseLostError(lease.runId, lease.fence)
  }

  const store: PostgresStore = {
    schema,
    migrate() {
      if (bad) return new ResultAsync(Promise.resolve(err(bad)))
      const run = async () => {
        try {
          const c = await conn()
          // No parameters: the simple-query protocol runs the whole script as one transaction.
          const res = (await c.query(sql.migrate)) as unknown
          const results = Array.isArray(res) ? res : [res]
          const last = results[results.length - 1] as { rows: { version: number }[] }
          const version = Number(last.rows[0]?.version)
          if (version > SCHEMA_VERSION) {
            return err(
              new StoreError(
                'queue',
                '',
                new Error(`schema "${schema}" is at version ${version}; this okflow knows up to ${SCHEMA_VERSION}`),
              ),
            )
          }
          return ok(undefined)
        } catch (e) {
          return err(new StoreError('queue', '', e))
        }
      }
      return new ResultAsync(run())
    },

    async acquire(runId, owner, leaseMs) {
      const [row] = await q<{ fence: string; lease_expires_at: string }>('lock', runId, sql.acquire, [
        runId,
        owner,
        leaseMs,
      ])
      if (!row) throw new RunLockedError(runId)
      return { runId, owner, fence: Number(row.fence), expiresAt: Number(row.lease_expires_at) }
    },
    renew: (lease, leaseMs) =>
      inOrder(lease.runId, async () => {
        const [row] = await q<{ lease_expires_at: string }>('lock', lease.runId, sql.renew, [
          lease.runId,
          lease.fence,
          lease.owner,
          leaseMs,
        ])
        if (!row) throw new LeaseLostError(lease.runId, lease.fence)
        return { ...lease, expiresAt: Number(row.lease_expires_at) }
      }),
    release: (lease) =>
      inOrder(lease.runId, async () => {
        await q('lock', lease.runId, sql.release, [lease.runId, lease.fence, lease.owner])
      }),
    async load(runId) {
      const rows = await q<{ record: string }>('load', runId, sql.load, [runId], false)
      return rows.map((r) => JSON.parse(r.record) as StepRecord)
    },
    append: (lease, record) => write(lease, [record]),
    appendMany: write,
    async reopen(lease) {
      const [row] = await q<{ held: number }>('reopen', lease.runId, sql.reopen, [
        lease.runId,
        lease.fence,
        lease.owner,
      ])
      if (!row || Number(row.held) === 0) throw new LeaseLostError(lease.runId, lease.fence)
    },

    async createRun(run: NewRun) {
      const params = [
        run.runId,
        run.workflow,
        run.version,
        JSON.stringify(run.input),
        run.idempotencyKey ?? null,
        run.parentId ?? null,
      ]
      const [row] = await q<Row>('queue', run.runId, sql.createRun, params)
      if (row) return { run: toRunInfo(row), created: true }
      // Lost to an existing run (same id or key): answer it. Its insert has committed by now
      // (ON CONFLICT waited for it), and this is a new statement, so it is visible.
      const [old] = await q<Row>('queue', run.runId, sql.existing, [run.runId, run.idempotencyKey ?? null], false)
      if (!old) throw new StoreError('queue', run.runId, new Error('the conflicting run vanished'))
      return { run: toRunInfo(old), created: false }
    },
    async getRun(runId) {
      const [row] = await q<Row>('queue', runId, sql.getRun, [runId], false)
      return row ? toRunInfo(row) : undefined
    },
    async listRuns(filter: RunFilter = {}) {
      const rows = await q<Row>(
        'queue',
        '',
        sql.listRuns,
        [filter.workflow ?? null, filter.state ?? null, filter.limit ?? null],
        false,
      )
      return rows.map(toRunInfo)
    },
    async claim(workflows, owner, leaseMs, limit) {
      if (workflows.length === 0 || limit < 1) return []
      const rows = await q<Row>('queue', '', sql.claim, [[...workflows], owner, leaseMs, limit])
      return rows.map((r) => ({
        run: toRunInfo(r),
        lease: { runId: r.run_id, owner, fence: Number(r.fence), expiresAt: Number(r.lease_expires_at) },
      }))
    },
    setState: (lease, state, opts = {}) =>
      inOrder(lease.runId, async () => {
        const [row] = await q<{ held: number }>('queue', lease.runId, sql.setState, [
          lease.runId,
          lease.fence,
          lease.owner,
          state,
          opts.dueAt ?? null,
          json(opts.error),
        ])
        if (!row || Number(row.held) === 0) throw new LeaseLostError(lease.runId, lease.fence)
      }),
    async requestCancel(runId) {
      const [row] = await q<Row>('queue', runId, sql.requestCancel, [runId])
      return row ? toRunInfo(row) : store.getRun(runId)
    },
    async requeue(runId) {
      const [row] = await q<Row>('queue', runId, sql.requeue, [runId])
      return row ? toRunInfo(row) : store.getRun(runId)
    },
    async createRuns(runs) {
      if (runs.length === 0) return
      await q('queue', runs[0]?.parentId ?? '', sql.createRuns, [
        runs.map((r) => r.runId),
        runs.map((r) => r.workflow),
        runs.map((r) => r.version),
        runs.map((r) => JSON.stringify(r.input)),
        runs.map((r) => r.parentId ?? null),
      ])
    },
    async listChildren(parentId, opts = {}) {
      const rows = await q<{ run_id: string; state: RunState; updated_at: string; outcome: string | null }>(
        'queue',
        parentId,
        sql.listChildren,
        [parentId, opts.prefix ?? null, opts.outcomes === true],
        false,
      )
      return rows.map((r): ChildRun => {
        if (r.state !== 'succeeded' && r.state !== 'failed' && r.state !== 'cancelled') {
          return { runId: r.run_id, state: r.state }
        }
        const child = { runId: r.run_id, state: r.state, endedAt: Number(r.updated_at) }
        return r.outcome === null ? child : { ...child, outcome: JSON.parse(r.outcome) as StepRecord }
      })
    },
    async wake(runId) {
      await q('queue', runId, sql.wake, [runId])
    },
    async emit(key, payload) {
      const [row] = await q<{ won: number }>('queue', '', sql.emit, [key, JSON.stringify(payload)])
      return Number(row?.won) > 0
    },
    async getEvent(key, waiter) {
      const [row] = await q<{ payload: string | null; at: string | null }>(
        'queue',
        waiter ?? '',
        waiter === undefined ? sql.getEvent : sql.waitEvent,
        waiter === undefined ? [key] : [key, waiter],
        false,
      )
      return row && row.at !== null
        ? { payload: JSON.parse(row.payload ?? 'null') as JsonValue, at: Number(row.at) }
        : undefined
    },
    async runEvents(runId) {
      const rows = await q<{ type: string; at: string; data: string | null }>(
        'queue',
        runId,
        sql.events,
        [runId],
        false,
      )
      return rows.map((r) =>
        r.data === null
          ? { type: r.type, at: Number(r.at) }
          : { type: r.type, at: Number(r.at), data: JSON.parse(r.data) as JsonValue },
      )
    },
    async close() {
      const p = made
      made = undefined
      if (p) await p.then((pool) => pool.end()).catch(() => {})
    },
  }
  return store
}
