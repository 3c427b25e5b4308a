// The package as npm would publish it: what the tarball holds, and a scratch project that installs
// the tarball and uses it from CommonJS, ESM and TypeScript, as a new user would.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))

interface PackEntry {
  path: string
}
interface PackInfo {
  filename: string
  files: PackEntry[]
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 })
}

beforeAll(() => {
  // The tarball holds dist/ (`npm test` builds first).
  if (!existsSync(join(root, 'dist/index.js'))) execFileSync('npx', ['tsup'], { cwd: root, stdio: 'ignore' })
}, 60_000)

describe('npm pack', () => {
  it('ships only dist/, README.md, LICENSE and package.json', () => {
    const [info] = JSON.parse(npm(['pack', '--dry-run', '--json'], root)) as PackInfo[]
    const paths = info!.files.map((f) => f.path).sort()
    const outside = paths.filter((p) => !p.startsWith('dist/') && !['README.md', 'LICENSE', 'package.json'].includes(p))
    expect(outside).toEqual([])
    for (const required of [
      'LICENSE',
      'README.md',
      'package.json',
      'dist/index.js',
      'dist/index.cjs',
      'dist/index.d.ts',
      'dist/index.d.cts',
      'dist/worker.js',
      'dist/worker.cjs',
      'dist/worker.d.ts',
      'dist/worker.d.cts',
    ]) {
      expect(paths).toContain(required)
    }
    // Nothing from the sources, tests, benchmarks or examples, even under dist/.
    expect(paths.filter((p) => /(^|\/)(src|test|benchmarks|examples)\//.test(p) || /\.test\./.test(p))).toEqual([])
  })
})

describe('installed from the tarball into a scratch project', () => {
  let dir = ''

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'okflow-pack-'))
    const [info] = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], root)) as PackInfo[]
    const project = join(dir, 'project')
    mkdirSync(project)
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true }))
    const install = ['install', '--no-audit', '--no-fund', join(dir, info!.filename), 'neverthrow@^8']
    try {
      // neverthrow is in the npm cache after `npm ci`: no network needed.
      npm([...install, '--offline'], project)
    } catch {
      npm([...install, '--prefer-offline'], project)
    }
    for (const [file, text] of Object.entries(files)) writeFileSync(join(project, file), text)
  }, 120_000)

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
    if (dir) expect(existsSync(dir)).toBe(false)
  })

  const run = (file: string) => {
    const r = spawnSync(process.execPath, [file], { cwd: join(dir, 'project'), encoding: 'utf8', timeout: 30_000 })
    return { code: r.status, stdout: r.stdout, stderr: r.stderr }
  }

  it('installs okflow and the peer neverthrow, with no thread-pool dependency', () => {
    const modules = readdirSync(join(dir, 'project/node_modules'))
    expect(modules).toEqual(expect.arrayContaining(['okflow', 'neverthrow']))
    expect(modules).not.toContain('piscina')
    expect(readdirSync(join(dir, 'project/node_modules/okflow')).sort()).toEqual([
      'LICENSE',
      'README.md',
      'dist',
      'package.json',
    ])
  })

  it('works from CommonJS: require("okflow") and require("okflow/worker") with a .cjs tasks module', () => {
    const { code, stdout, stderr } = run('main.cjs')
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toEqual(expected('cjs'))
  })

  it('works from ESM: import from "okflow" and "okflow/worker" with an .mjs tasks module', () => {
    const { code, stdout, stderr } = run('main.mjs')
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(JSON.parse(stdout)).toEqual(expected('esm'))
  })

  it('type-checks a TypeScript user of both entry points (ESM and CJS declarations)', () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc')
    const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], {
      cwd: join(dir, 'project'),
      encoding: 'utf8',
      timeout: 60_000,
    })
    // The file holds one deliberate mistake per entry point: exactly those must be reported.
    const errors = r.stdout
      .split('\n')
      .filter((l) => l.includes('error TS'))
      .map((l) => l.replace(/\(\d+,\d+\)/, ''))
    expect(errors).toEqual([
      expect.stringMatching(/^use\.cts: error TS2345: Argument of type '"nope"' is not assignable/),
      expect.stringMatching(/^use\.mts: error TS2322: Type 'string' is not assignable to type 'number'/),
    ])
  }, 60_000)
})

/** What main.cjs / main.mjs print. */
function expected(kind: 'cjs' | 'esm') {
  return {
    kind,
    all: [1, 2],
    sameResultClass: true,
    timeout: { tag: 'TimeoutError', ms: 10, isTimeoutError: true },
    any: 'b',
    hash: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    remoteErr: { _tag: 'NotFound', id: 7 },
    thrown: { tag: 'TaskFailedError', remoteName: 'RangeError', message: 'bad input' },
    threadsAfterClose: 0,
  }
}

const cjsTasks = `const { createHash } = require('node:crypto')
const { err } = require('neverthrow')
const { defineWorkerTasks } = require('okflow/worker')
module.exports = defineWorkerTasks({
  sha256: (s) => createHash('sha256').update(s).digest('hex'),
  find: (id) => err({ _tag: 'NotFound', id }),
  boom: (msg) => { throw new RangeError(msg) },
})
`
const esmTasks = cjsTasks
  .replace("const { createHash } = require('node:crypto')", "import { createHash } from 'node:crypto'")
  .replace("const { err } = require('neverthrow')", "import { err } from 'neverthrow'")
  .replace(
    "const { defineWorkerTasks } = require('okflow/worker')",
    "import { defineWorkerTasks } from 'okflow/worker'",
  )
  .replace('module.exports =', 'export default')

/** The body shared by main.cjs and main.mjs, after their imports. */
const body = (kind: string, tasks: string) => `
const slow = ({ signal }) => new Promise((resolve) => {
  const timer = setTimeout(() => resolve(ok('late')), 5000)
  signal.addEventListener('abort', () => clearTimeout(timer))
})
const all = await allAsync([ok(1), Promise.resolve(ok(2))])
const timeout = await withTimeout(slow, 10)
const any = await anyAsync([errAsync('a'), okAsync('b')])
const pool = createWorkerPool(${tasks}, { maxThreads: 1 })._unsafeUnwrap()
const hash = await pool.run('sha256', 'abc')
const remote = await pool.run('find', 7)
const thrown = await pool.run('boom', 'bad input')
await pool.close()
console.log(JSON.stringify({
  kind: '${kind}',
  all: all._unsafeUnwrap(),
  sameResultClass: all instanceof Ok && timeout instanceof Err,
  timeout: { tag: timeout.error._tag, ms: timeout.error.ms, isTimeoutError: timeout.error instanceof TimeoutError },
  any: any._unsafeUnwrap(),
  hash: hash._unsafeUnwrap(),
  remoteErr: { _tag: remote.error._tag, id: remote.error.id },
  thrown: { tag: thrown.error._tag, remoteName: thrown.error.remoteName, message: thrown.error.message },
  threadsAfterClose: pool.metrics().threads,
}))
`

const files: Record<string, string> = {
  'tasks.cjs': cjsTasks,
  'tasks.mjs': esmTasks,
  'main.cjs': `const { allAsync, anyAsync, ok, okAsync, errAsync, withTimeout, TimeoutError } = require('okflow')
const { createWorkerPool } = require('okflow/worker')
const { Ok, Err } = require('neverthrow')
const path = require('node:path')
async function main() {${body('cjs', "path.join(__dirname, 'tasks.cjs')")}}
main()
`,
  'main.mjs': `import { allAsync, anyAsync, ok, okAsync, errAsync, withTimeout, TimeoutError } from 'okflow'
import { createWorkerPool } from 'okflow/worker'
import { Ok, Err } from 'neverthrow'
${body('esm', "new URL('./tasks.mjs', import.meta.url)")}`,
  'use.mts': `import { allAsync, ok, type TimeoutError } from 'okflow'
import { createWorkerPool, type WorkerPoolMetrics } from 'okflow/worker'
const r = await allAsync({ a: ok(1), b: ok('x') })
if (r.isOk()) {
  const a: number = r.value.a
  const b: number = r.value.b // deliberate mistake: b is a string
}
const t: TimeoutError['_tag'] = 'TimeoutError'
type M = WorkerPoolMetrics['utilization']
export { createWorkerPool, t }
export type { M }
`,
  'use.cts': `import okflow = require('okflow')
import worker = require('okflow/worker')
type Tasks = ReturnType<typeof worker.defineWorkerTasks<{ sha256: (s: string) => string }>>
const pool = worker.createWorkerPool<Tasks>('./tasks.cjs')._unsafeUnwrap()
void pool.run('sha256', 'abc').map((hex: string) => hex.length)
void pool.run('nope', 'abc') // deliberate mistake: no such task
void okflow.allAsync([okflow.ok(1)])
`,
  'tsconfig.json': JSON.stringify({
    compilerOptions: {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(root, 'node_modules/@types')],
    },
    include: ['use.mts', 'use.cts'],
  }),
}
