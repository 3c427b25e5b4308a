import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ok } from 'neverthrow'
import { afterEach, describe, expect, it } from 'vitest'
import { createWorkflow, fileStore, type StepRecord } from '../../src/index.js'
import { later } from '../helpers.js'

const dirs: string[] = []
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'okflow-durable-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const line = (r: StepRecord) => `${JSON.stringify(r)}\n`

describe('fileStore', () => {
  it('appends one JSON line per record and loads them back; no lock file or handle is left', async () => {
    const dir = tempDir()
    const fds = () => (existsSync('/proc/self/fd') ? readdirSync('/proc/self/fd').length : 0)
    const before = fds()
    const wf = createWorkflow({}, { store: fileStore(dir), runId: 'order/42' })
    const r = await wf(async (step) => {
      const a = await step(() => ok({ n: 1 }), { name: 'a' })
      return step(() => ok(a.n + 1), { name: 'b' })
    })
    expect(r._unsafeUnwrap()).toBe(2)
    expect(readdirSync(dir)).toEqual(['order%2F42.jsonl']) // the lock is gone
    const text = readFileSync(join(dir, 'order%2F42.jsonl'), 'utf8')
    expect(text.split('\n')).toEqual([
      '{"seq":0,"key":"a","ok":true,"value":{"n":1}}',
      '{"seq":1,"key":"b","ok":true,"value":2}',
      '{"seq":-1,"key":"$result","ok":true,"value":2}',
      '',
    ])
    expect(fds()).toBeLessThanOrEqual(before) // the log and lock handles are closed
  })

  it('ignores a torn last line, keeps every earlier step, and cuts the tear off before appending', async () => {
    const dir = tempDir()
    const file = join(dir, 'torn.jsonl')
    writeFileSync(file, `${line({ seq: 0, key: 'a', ok: true, value: 1 })}{"seq":1,"key":"b","ok":tr`)
    expect(await fileStore(dir).load('torn')).toEqual([{ seq: 0, key: 'a', ok: true, value: 1 }])
    // A complete-looking last line without its newline is torn too (its write did not finish).
    writeFileSync(file, `${line({ seq: 0, key: 'a', ok: true, value: 1 })}{"seq":1,"key":"b","ok":true}`)
    expect(await fileStore(dir).load('torn')).toHaveLength(1)

    const runs: string[] = []
    const ran = <T>(key: string, value: T) => {
      runs.push(key)
      return ok(value)
    }
    const r = await createWorkflow(
      {},
      { store: fileStore(dir), runId: 'torn' },
    )(async (step) => {
      const a = await step(() => ran('a', 100), { name: 'a' })
      const b = await step(() => ran('b', a + 1), { name: 'b' })
      return b
    })
    expect(r._unsafeUnwrap()).toBe(2) // a replayed its recorded 1
    expect(runs).toEqual(['b'])
    const lines = readFileSync(file, 'utf8').split('\n')
    expect(lines.map((l) => (l === '' ? l : JSON.parse(l).key))).toEqual(['a', 'b', '$result', ''])
  })

  it('a damaged line before the last is a StoreError, not a silent skip', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'bad.jsonl'), `garbage\n${line({ seq: 0, key: 'a', ok: true })}`)
    const r = await createWorkflow({}, { store: fileStore(dir), runId: 'bad' })(async () => 1)
    expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'StoreError', operation: 'load', runId: 'bad' })
    expect(existsSync(join(dir, 'bad.lock'))).toBe(false)
  })

  it('two writers on one run: the second gets RunLockedError with the holder pid', async () => {
    const dir = tempDir()
    const a = createWorkflow({ later: later<never, never> }, { store: fileStore(dir), runId: 'shared' })
    const b = createWorkflow({}, { store: fileStore(dir), runId: 'shared' })
    const first = a(async (step) => step(() => later(50, ok('a'))))
    await new Promise((r) => setTimeout(r, 10))
    const second = await b(async (step) => step(() => ok('b')))
    expect(second._unsafeUnwrapErr()).toMatchObject({ _tag: 'RunLockedError', runId: 'shared', pid: process.pid })
    expect((await first)._unsafeUnwrap()).toBe('a')
    expect(existsSync(join(dir, 'shared.lock'))).toBe(false)
  })

  it('a stale lock of a dead process is taken over; a live one is not', async () => {
    const dir = tempDir()
    const dead = spawn(process.execPath, ['-e', ''])
    await new Promise((r) => dead.on('exit', r))
    writeFileSync(join(dir, 'stale.lock'), `${dead.pid}\n`)
    const r = await createWorkflow({}, { store: fileStore(dir), runId: 'stale' })(async (step) => step(() => ok(1)))
    expect(r._unsafeUnwrap()).toBe(1)
    expect(readdirSync(dir)).toEqual(['stale.jsonl'])

    writeFileSync(join(dir, 'live.lock'), `${process.ppid}\n`)
    const locked = await createWorkflow({}, { store: fileStore(dir), runId: 'live' })(async (step) => step(() => ok(1)))
    expect(locked._unsafeUnwrapErr()).toMatchObject({ _tag: 'RunLockedError', pid: process.ppid })
    expect(existsSync(join(dir, 'live.jsonl'))).toBe(false)
  })
})

const fixture = fileURLToPath(new URL('./fixtures/durable-crash.mjs', import.meta.url))

/** Starts the fixture; resolves once it printed `until` (or exited), with what it printed. */
function startChild(args: string[], until?: string): { child: ChildProcess; out: Promise<string> } {
  const child = spawn(process.execPath, [fixture, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  let text = ''
  const out = new Promise<string>((resolve) => {
    child.stdout?.on('data', (b: Buffer) => {
      text += b
      if (until && text.includes(until)) resolve(text)
    })
    child.on('exit', () => resolve(text))
  })
  return { child, out }
}

describe('crash and resume (child process, SIGKILL)', () => {
  it('no completed step runs twice, a concurrent process is locked out, and the run finishes right', async () => {
    const dir = tempDir()
    const counter = join(dir, 'counter.txt')
    const store = join(dir, 'store')

    const crashing = startChild([store, counter, 'hang'], 'READY')
    expect(await crashing.out).toContain('READY') // step "c" (key "sum") is running now

    // While it runs, another process (this one) cannot write the same run.
    const other = await createWorkflow({}, { store: fileStore(store), runId: 'order-42' })(async () => 'x')
    expect(other._unsafeUnwrapErr()).toMatchObject({ _tag: 'RunLockedError', pid: crashing.child.pid })

    const exited = new Promise((r) => crashing.child.on('exit', (_code, signal) => r(signal)))
    crashing.child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    expect(readFileSync(counter, 'utf8').split('\n').filter(Boolean)).toEqual(['a', 'b.0', 'b.1', 'c'])

    const resumed = startChild([store, counter])
    const out = await resumed.out
    expect(out).toContain('RESULT {"ok":{"a":1,"c":31,"d":62}}')
    expect(out).toContain('REPLAYED a,b\n')
    // a and the group b ran once; c was cut off mid-step, so it ran again; d ran once.
    expect(readFileSync(counter, 'utf8').split('\n').filter(Boolean)).toEqual(['a', 'b.0', 'b.1', 'c', 'c', 'd'])
    expect(existsSync(join(store, 'order-42.lock'))).toBe(false)

    // A third start finds the finished run and runs nothing.
    const third = await startChild([store, counter]).out
    expect(third).toContain('RESULT {"ok":{"a":1,"c":31,"d":62}}')
    expect(readFileSync(counter, 'utf8').split('\n').filter(Boolean)).toHaveLength(6)
  }, 20_000)
})
