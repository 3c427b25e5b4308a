import pg from 'pg'
import { inject } from 'vitest'

let n = 0
/** A schema name no other test file (or earlier run on an outside server) uses. */
export const freshSchema = (what: string) =>
  `t_${what}_${process.pid}_${++n}_${Math.random().toString(36).slice(2, 8)}`.replace(/[^A-Za-z0-9_]/g, '_')

/** A pool on the test server; errors of idle connections (server restarts) are not crashes. */
export function testPool(max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: inject('pgUrl'), max })
  pool.on('error', () => {})
  return pool
}

/** Drops a test schema and everything in it. */
export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
}
