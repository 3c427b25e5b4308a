import { describe, expect, it } from 'vitest'
import type { Lease, NewRun } from '../../src/index.js'
import { postgresStore, type Queryable } from '../../src/postgres/index.js'
import { schemaV1 } from './fixtures/schema-v1.js'
import { dropSchema, freshSchema, testPool } from './helpers.js'

// What the durable-primitive store methods of postgresStore promise beyond the shared suite
// (test/workflow/store/conformance.ts): schema upgrade, one statement per call, and the
// first-wins / no-lost-wake-up rules under real concurrency (several pools = several processes).

const LEASE = 60_000

describe('postgresStore schema version 2', () => {
  it('migrate upgrades a version-1 schema (several callers at once): old runs stay readable, new methods work on them', async () => {
    const pools = Array.from({ length: 4 }, () => testPool(2))
    const pool = pools[0] as (typeof pools)[number]
    const schema = freshSchema('upgrade')
    try {
      await pool.query(schemaV1(schema))
      await pool.query(
        `INSERT INTO "${schema}".runs (run_id, workflow, version, state, input, created_at, updated_at) VALUES ('old', 'wf', 1, 'pending', '{"n":1}', 1, 1)`,
      )
      const results = await Promise.all(pools.map((p) => postgresStore(p, { schema }).migrate()))
      expect(results.map((r) => r.isOk())).toEqual([true, true, true, true])
      const { rows: meta } = await pool.query(`SELECT value FROM "${schema}".meta WHERE key = 'schema_version'`)
      expect(meta).toEqual([{ value: '2' }])
      const { rows: columns } = await pool.query(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'runs' AND column_name IN ('parent_id', 'woken') ORDER BY 1`,
        [schema],
      )
      expect(columns.map((c) => c.column_name)).toEqual(['parent_id', 'woken'])
      const { rows: indexes } = await pool.query(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY 1`, [
        schema,
      ])
      expect(indexes.map((i) => i.indexname)).toEqual(expect.arrayContaining(['runs_parent', 'runs_due']))

      const store = postgresStore(pool, { schema })
      const old = await store.getRun('old')
      expect(old).toMatchObject({ runId: 'old', state: 'pending', input: { n: 1 } })
      expect(old?.parentId).toBeUndefined()
      expect(old?.woken).toBeUndefined()
      await store.wake?.('old')
      expect(await store.getRun('old')).toMatchObject({ woken: true })
      await store.createRuns?.([{ runId: 'old/0.0', workflow: 't', version: 1, input: null, parentId: 'old' }])
      expect(await store.listChildren?.('old')).toEqual([{ runId: 'old/0.0', state: 'pending' }])
      expect(await store.emit?.('k', 1)).toBe(true)
      // And again: a schema at version 2 is left as it is.
      expect((await store.migrate()).isOk()).toBe(true)
    } finally {
      await dropSchema(pool, schema)
      await Promise.all(pools.map((p) => p.end()))
    }
  })
})

describe('postgresStore durable primitives under concurrency', () => {
  const counting = (inner: Queryable) => {
    const seen: string[] = []
    const q: Queryable = {
      query: (text, params) => {
        seen.push(text)
        return inner.query(text, params)
      },
    }
    return { q, seen }
  }

  it('createRuns of 10,000 children is one statement; a second call (a replay) adds none; listChildren gives them in runId order', async () => {
    const pool = testPool(4)
    const schema = freshSchema('many')
    const { q, seen } = counting(pool)
    const store = postgresStore(q, { schema })
    try {
      expect((await store.migrate()).isOk()).toBe(true)
      const kids: NewRun[] = Array.from({ length: 10_000 }, (_, i) => ({
        runId: `p/0.${String(i).padStart(5, '0')}`,
        workflow: 'task',
        version: 2,
        input: { i, s: i % 7 === 0 ? 'quote " and \\ backslash, {brace}' : null },
        parentId: 'p',
      }))
      seen.length = 0
      await store.createRuns?.(kids)
      expect(seen).toHaveLength(1)
      await store.createRuns?.(kids.map((k) => ({ ...k, input: 'changed' })))
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".runs WHERE parent_id = 'p'`)
      expect(rows[0].n).toBe(10_000)
      expect(await store.getRun('p/0.00007')).toMatchObject({
        input: { i: 7, s: 'quote " and \\ backslash, {brace}' },
        version: 2,
        parentId: 'p',
      })
      seen.length = 0
      const listed = await store.listChildren?.('p', { outcomes: true })
      expect(seen).toHaveLength(1)
      expect(listed?.map((c) => c.runId)).toEqual(kids.map((k) => k.runId))
      expect(listed?.every((c) => c.state === 'pending' && c.outcome === undefined)).toBe(true)
      expect(await store.listChildren?.('p', { prefix: 'p/0.0999' })).toHaveLength(10)
      // A prefix is a prefix, not a LIKE pattern.
      expect(await store.listChildren?.('p', { prefix: 'p/0.%' })).toEqual([])
    } finally {
      await dropSchema(pool, schema)
      await pool.end()
    }
  })

  it('children ending at once (3 claimers) wake their parent; a parent already woken is not rewritten by each child', async () => {
    const pool = testPool(8)
    const schema = freshSchema('ends')
    const now = () => 1_000_000
    const store = postgresStore(pool, { schema, now })
    try {
      expect((await store.migrate()).isOk()).toBe(true)
      await store.createRun({ runId: 'parent', workflow: 'wf', version: 1, input: null })
      const [p] = await store.claim(['wf'], 'pw', LEASE, 1)
      await store.createRuns?.(
        Array.from({ length: 60 }, (_, i) => ({
          runId: `parent/0.${i}`,
          workflow: 't',
          version: 1,
          input: i,
          parentId: 'parent',
        })),
      )
      await store.setState(p?.lease as Lease, 'sleeping', { dueAt: now() + 3_600_000 })
      const xmin = async () =>
        (await pool.query(`SELECT xmin::text AS x FROM "${schema}".runs WHERE run_id = 'parent'`)).rows[0].x as string
      const before = await xmin()
      // The first child to end makes the parent due: the parent row is rewritten once.
      const [first] = await store.claim(['t'], 'w0', LEASE, 1)
      await store.setState(first?.lease as Lease, 'succeeded')
      const woken = await xmin()
      expect(woken).not.toBe(before)
      const parent = await store.getRun('parent')
      expect(parent?.state).toBe('sleeping')
      expect(parent?.dueAt).toBe(now())
      // The other 59 end on 3 claimers at once; the parent is due already, so none rewrites it.
      const worker = async (owner: string) => {
        let n = 0
        for (;;) {
          const got = await store.claim(['t'], owner, LEASE, 5)
          if (got.length === 0) return n
          await Promise.all(got.map((c) => store.setState(c.lease, 'succeeded')))
          n += got.length
        }
      }
      const counts = await Promise.all(['w1', 'w2', 'w3'].map(worker))
      expect(counts.reduce((x, y) => x + y, 0)).toBe(59)
      expect(await xmin()).toBe(woken)
      const children = await store.listChildren?.('parent')
      expect(children).toHaveLength(60)
      expect(children?.every((c) => c.state === 'succeeded' && typeof c.endedAt === 'number')).toBe(true)
      // Claimed again, the parent is running: the next child end sets woken (once).
      await store.createRuns?.([{ runId: 'parent/1.0', workflow: 't', version: 1, input: null, parentId: 'parent' }])
      const [again] = await store.claim(['wf'], 'pw', LEASE, 1)
      expect(again?.run.woken).toBeUndefined()
      const [late] = await store.claim(['t'], 'w', LEASE, 1)
      await store.setState(late?.lease as Lease, 'failed', { error: { message: 'x' } })
      expect(await store.getRun('parent')).toMatchObject({ state: 'running', woken: true })
    } finally {
      await dropSchema(pool, schema)
      await pool.end()
    }
  })

  it('a wake-up from another pool while the run goes to sleep is never lost', async () => {
    const a = testPool(4)
    const b = testPool(4)
    const schema = freshSchema('sleepwake')
    const now = () => 1_000_000 // one clock for both pools (not the server's, not this process's)
    const worker = postgresStore(a, { schema, now })
    const other = postgresStore(b, { schema, now })
    try {
      expect((await worker.migrate()).isOk()).toBe(true)
      for (let round = 0; round < 40; round++) {
        const runId = `r${round}`
        await worker.createRun({ runId, workflow: `wf${round}`, version: 1, input: null })
        const [c] = await worker.claim([`wf${round}`], 'w', LEASE, 1)
        await Promise.all([
          worker.setState(c?.lease as Lease, 'sleeping', { dueAt: now() + 3_600_000 }),
          other.wake?.(runId),
        ])
        const info = await worker.getRun(runId)
        expect(info?.state).toBe('sleeping')
        expect(info?.dueAt).toBe(now())
        expect(info?.woken).toBeUndefined()
      }
    } finally {
      await dropSchema(a, schema)
      await Promise.all([a.end(), b.end()])
    }
  })

  it('two pools emitting one key at once: exactly one wins, every time', async () => {
    const a = testPool(4)
    const b = testPool(4)
    const schema = freshSchema('emit2')
    const sa = postgresStore(a, { schema })
    const sb = postgresStore(b, { schema })
    try {
      expect((await sa.migrate()).isOk()).toBe(true)
      for (let round = 0; round < 25; round++) {
        const key = `k${round}`
        const wins = await Promise.all([
          sa.emit?.(key, 'a'),
          sb.emit?.(key, 'b'),
          sa.emit?.(key, 'a2'),
          sb.emit?.(key, 'b2'),
        ])
        expect(wins.filter((w) => w === true)).toHaveLength(1)
        const payload = ['a', 'b', 'a2', 'b2'][wins.indexOf(true)]
        expect((await sb.getEvent?.(key))?.payload).toBe(payload)
        expect((await sa.getEvent?.(key))?.payload).toBe(payload)
      }
    } finally {
      await dropSchema(a, schema)
      await Promise.all([a.end(), b.end()])
    }
  })

  it('a waiter registering while an emit comes (two pools): it reads the event or is woken, never neither', async () => {
    const a = testPool(4)
    const b = testPool(4)
    const schema = freshSchema('race')
    const waiterSide = postgresStore(a, { schema })
    const emitterSide = postgresStore(b, { schema })
    try {
      expect((await waiterSide.migrate()).isOk()).toBe(true)
      let read = 0
      let woken = 0
      for (let round = 0; round < 60; round++) {
        const runId = `r${round}`
        await waiterSide.createRun({ runId, workflow: `wf${round}`, version: 1, input: null })
        await waiterSide.claim([`wf${round}`], 'w', LEASE, 1)
        const [got] = await Promise.all([
          waiterSide.getEvent?.(`key${round}`, runId),
          emitterSide.emit?.(`key${round}`, round),
        ])
        const info = await waiterSide.getRun(runId)
        if (got !== undefined) {
          expect(got.payload).toBe(round)
          read++
        } else {
          expect(info?.woken).toBe(true)
          woken++
        }
      }
      console.log(`waiter/emit race: read ${read}, woken ${woken} of 60`)
      expect(read + woken).toBe(60)
    } finally {
      await dropSchema(a, schema)
      await Promise.all([a.end(), b.end()])
    }
  })
})
