// okflow/worker's built .d.ts must compile against every supported @types/node major (20 and the
// newest, 26, where `TransferListItem` is gone), with and without skipLibCheck, and `transfer`
// must stay typed. @types/node 26 is installed as the alias `@types/node-26`; a temporary type
// root maps `node` to it, as in a project that has only @types/node 26 (no network needed).
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, test } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))
const check = fileURLToPath(new URL('./fixtures/node-types/check.ts', import.meta.url))
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const exec = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'okflow-node-types-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function compile(major: 20 | 26, skipLibCheck: boolean): Promise<string> {
  const types = join(dir, `types-${major}`)
  rmSync(types, { recursive: true, force: true })
  mkdirSync(types)
  symlinkSync(join(root, 'node_modules', '@types', major === 20 ? 'node' : 'node-26'), join(types, 'node'), 'dir')
  const config = join(dir, `tsconfig.${major}.${skipLibCheck}.json`)
  const compilerOptions = {
    strict: true,
    noEmit: true,
    target: 'es2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    typeRoots: [types],
    types: ['node'],
    skipLibCheck,
  }
  writeFileSync(config, JSON.stringify({ compilerOptions, files: [check] }))
  try {
    await exec(process.execPath, [tsc, '-p', config], { cwd: root })
    return ''
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? e)
  }
}

describe('the .d.ts of okflow/worker', () => {
  test.each([
    [20, false],
    [20, true],
    [26, false],
    [26, true],
  ] as const)(
    'compile against @types/node %i (skipLibCheck: %s), transfer typed',
    async (major, skip) => {
      expect(await compile(major, skip)).toBe('')
    },
    60_000,
  )
})
