// Child runs across workers on a real Postgres (the suite of test/runs/children-suite.ts).
import { afterAll } from 'vitest'
import { postgresStore } from '../../src/postgres/index.js'
import { childrenSuite } from '../runs/children-suite.js'
import { dropSchema, freshSchema, testPool } from './helpers.js'

const pool = testPool(10)
const schemas: string[] = []
afterAll(async () => {
  for (const s of schemas) await dropSchema(pool, s)
  await pool.end()
})

childrenSuite('postgresStore', async () => {
  const schema = freshSchema('children')
  schemas.push(schema)
  const store = postgresStore(pool, { schema })
  const m = await store.migrate()
  if (m.isErr()) throw m.error
  return store
})
