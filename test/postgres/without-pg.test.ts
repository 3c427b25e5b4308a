import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))
const preload = fileURLToPath(new URL('./fixtures/no-pg.mjs', import.meta.url))

/** Runs a script in a process where `pg` cannot be found (the optional peer not installed). */
const withoutPg = (script: string, type: 'module' | 'commonjs') =>
  spawnSync(process.execPath, ['--import', preload, `--input-type=${type}`, '-e', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  })

describe('okflow/postgres without pg installed', () => {
  const script = (load: string) => `
${load}
const store = postgresStore('postgres://127.0.0.1:1/x')
const r = await store.migrate()
console.log(JSON.stringify({ tag: r.error._tag, op: r.error.operation, cause: String(r.error.cause?.message), flow: typeof createWorkflow }))
`
  for (const [type, load] of [
    ['module', "import { createWorkflow } from './dist/index.js'\nimport { postgresStore } from './dist/postgres.js'"],
    [
      'commonjs',
      "const { createWorkflow } = require('./dist/index.cjs')\nconst { postgresStore } = require('./dist/postgres.cjs')\n;(async () => {",
    ],
  ] as const) {
    it(`${type}: okflow and okflow/postgres load; a store made from a URL answers err(StoreError), no throw`, () => {
      const body = type === 'commonjs' ? `${script(load)}})()` : script(load)
      const r = withoutPg(body, type)
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      expect(JSON.parse(r.stdout)).toEqual({
        tag: 'StoreError',
        op: 'queue',
        cause: expect.stringMatching(/Cannot find (module|package) 'pg'/),
        flow: 'function',
      })
    })
  }

  it('the preload really hides pg', () => {
    const r = withoutPg("import('pg').then(() => console.log('found'), () => console.log('missing'))", 'module')
    expect(r.stdout.trim()).toBe('missing')
  })
})
