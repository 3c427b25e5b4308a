import pg from 'pg'
import { describe, expect, inject, it } from 'vitest'

describe('the test PostgreSQL (global set-up)', () => {
  it('is a real server that answers SQL', async () => {
    const client = new pg.Client({ connectionString: inject('pgUrl') })
    await client.connect()
    try {
      const { rows } = await client.query<{ v: string; n: number }>('select version() as v, 40 + $1::int as n', [2])
      expect(rows[0]?.v).toMatch(/^PostgreSQL \d+/)
      expect(rows[0]?.n).toBe(42)
    } finally {
      await client.end()
    }
  })
})
