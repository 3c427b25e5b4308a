// The README documents every runtime export of both entry points (a new export needs a line there).
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as main from '../../src/index.js'
import * as postgres from '../../src/postgres/index.js'
import * as worker from '../../src/worker/index.js'

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')

describe('README.md', () => {
  it('mentions every runtime export of okflow/postgres', () => {
    const names = Object.keys(postgres)
    expect(names).toContain('postgresStore')
    expect(names.filter((name) => !readme.includes(`\`${name}`))).toEqual([])
  })

  it.each([
    ['okflow', Object.keys(main)],
    ['okflow/worker', Object.keys(worker)],
  ])('mentions every runtime export of %s', (_entry, names) => {
    expect(names.length).toBeGreaterThan(5)
    expect(names.filter((name) => !readme.includes(`\`${name}`))).toEqual([])
  })

  it('keeps the two set-up commands and the workflow/pipeline placeholders', () => {
    expect(readme).toContain('npm ci && npm run demo')
    expect(readme).toContain('npm ci && npm test')
    expect(readme).toContain('<!-- workflow -->')
    expect(readme).toContain('<!-- pipeline -->')
  })
})
