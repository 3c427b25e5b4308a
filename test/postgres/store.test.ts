import { describe, expect, inject, it } from 'vitest'
import { postgresStore } from '../../src/postgres/index.js'
import { describeStoreConformance } from '../workflow/store/conformance.js'
import { dropSchema, freshSchema, testPool } from './helpers.js'

// The shared store v2 suite on a real server, each setup in its own schema. The suite's clock is
// passed in (`now`), so lease expiry is tested without waiting.
describeStoreConformance('postgresStore', async (clock) => {
  const pool = testPool()
  const schema = freshSchema('conf')
  const store = postgresStore(pool, { schema, now: clock.now })
  const migrated = await store.migrate()
  if (migrated.isErr()) throw migrated.error
  return {
    store,
    reopen: async () => postgresStore(pool, { schema, now: clock.now }),
    cleanup: async () => {
      await dropSchema(pool, schema)
      await pool.end()
    },
  }
})

describe('postgresStore', () => {
  it('migrate is safe when many callers run it at once on a new schema, and again later', async () => {
    const pools = Array.from({ length: 6 }, () => testPool(2))
    const schema = freshSchema('migrate')
    try {
      const results = await Promise.all(pools.map((p) => postgresStore(p, { schema }).migrate()))
      expect(results.map((r) => r.isOk())).toEqual(pools.map(() => true))
      expect((await postgresStore(pools[0]!, { schema }).migrate()).isOk()).toBe(true)
      const { rows } = await pools[0]!.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
        [schema],
      )
      expect(rows.map((r) => r.table_name)).toEqual(['emitted_events', 'events', 'meta', 'runs', 'steps'])
    } finally {
      await dropSchema(pools[0]!, schema)
      await Promise.all(pools.map((p) => p.end()))
    }
  })

  it('refuses a schema written by a newer okflow with StoreError, and a bad schema name with InvalidOptionsError', async () => {
    const pool = testPool(2)
    const schema = freshSchema('newer')
    try {
      const store = postgresStore(pool, { schema })
      expect((await store.migrate()).isOk()).toBe(true)
      await pool.query(`UPDATE "${schema}".meta SET value = '99' WHERE key = 'schema_version'`)
      const r = await store.migrate()
      expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'StoreError' })
      expect(String((r._unsafeUnwrapErr() as Error).message)).toContain('version 99')
      const bad = await postgresStore(pool, { schema: 'x"; DROP TABLE y; --' }).migrate()
      expect(bad._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option: 'schema' })
      const noPool = await postgresStore({} as never).migrate()
      expect(noPool._unsafeUnwrapErr()).toMatchObject({ _tag: 'InvalidOptionsError', option: 'pool' })
    } finally {
      await dropSchema(pool, schema)
      await pool.end()
    }
  })

  it('an unreachable server is a StoreError of the call, not a throw or a hang', async () => {
    const store = postgresStore('postgres://postgres@127.0.0.1:1/none')
    try {
      const m = await store.migrate()
      expect(m._unsafeUnwrapErr()).toMatchObject({ _tag: 'StoreError', operation: 'queue' })
      await expect(store.load('r')).rejects.toMatchObject({ _tag: 'StoreError', operation: 'load' })
    } finally {
      await store.close()
    }
  })

  it('made from a connection string: loads pg itself, keeps values exactly (key order, unicode), and close() ends its pool', async () => {
    const schema = freshSchema('url')
    const store = postgresStore(inject('pgUrl'), { schema })
    try {
      expect((await store.migrate()).isOk()).toBe(true)
      const lease = await store.acquire('r1', 'me', 10_000)
      const value = { z: 1, a: [1.5, -0.25, 'ü\u0000✓'], m: { y: null, b: true } }
      await store.append(lease, { seq: 0, key: 'k', ok: true, value })
      const [rec] = await store.load('r1')
      expect(JSON.stringify(rec?.value)).toBe(JSON.stringify(value))
      expect((await store.runEvents('r1')).map((e) => e.type)).toEqual([])
    } finally {
      const pool = testPool(1)
      await dropSchema(pool, schema)
      await pool.end()
      await store.close()
    }
  })
})

describe('postgresStore fencing under concurrency', () => {
  it('a holder appending while its expired lease is taken over: its writes stop at the takeover, none lands after it', async () => {
    const pool = testPool(8)
    const schema = freshSchema('fence')
    let t = 1_000_000
    const store = postgresStore(pool, { schema, now: () => t })
    try {
      expect((await store.migrate()).isOk()).toBe(true)
      for (let round = 0; round < 5; round++) {
        const runId = `fence-${round}`
        const a = await store.acquire(runId, 'a', 1000)
        let aWrote = 0
        let aError: unknown
        const writer = (async () => {
          for (let seq = 0; seq < 500; seq++) {
            try {
              await store.append(a, { seq, key: `a${seq}`, ok: true })
              aWrote++
            } catch (e) {
              aError = e
              return
            }
          }
        })()
        await new Promise((r) => setTimeout(r, 5 + round * 5))
        t += 2000 // a's lease has expired
        const b = await store.acquire(runId, 'b', 1000)
        await store.append(b, { seq: 10_000, key: 'b', ok: true })
        await writer
        expect(aError).toMatchObject({ _tag: 'LeaseLostError', runId, fence: a.fence })
        // In append order, every record of the old fence comes before the takeover's first one.
        const { rows } = await pool.query(`SELECT fence FROM "${schema}".steps WHERE run_id = $1 ORDER BY pos`, [runId])
        const fences = rows.map((r) => Number(r.fence))
        expect(fences.filter((f) => f === a.fence)).toHaveLength(aWrote)
        expect(fences.at(-1)).toBe(b.fence)
        expect(fences).toEqual([...fences].sort((x, y) => x - y))
        expect((await store.load(runId)).map((r) => r.seq)).toEqual([
          ...Array.from({ length: aWrote }, (_, i) => i),
          10_000,
        ])
      }
    } finally {
      await dropSchema(pool, schema)
      await pool.end()
    }
  })
})
