import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { threadId } from 'node:worker_threads'
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
  it('appends one JSON line per record and loads them back; the lease is released and no handle is left', async () => {
    const dir = tempDir()
    const fds = () => (existsSync('/proc/self/fd') ? readdirSync('/proc/self/fd').length : 0)
    const before = fds()
    const wf = createWorkflow({}, { store: fileStore(dir), runId: 'order/42' })
    const r = await wf(async (step) => {
      const a = await step(() => ok({ n: 1 }), { name: 'a' })
      return step(() => ok(a.n + 1), { name: 'b' })
    })
    expect(r._unsafeUnwrap()).toBe(2)
    // v2: the lease stays as a released grant (its fence must keep growing) beside its hint.
    expect(readdirSync(dir).sort()).toEqual(['order%2F42.1.grant', 'order%2F42.jsonl', 'order%2F42.lease'])
    expect(JSON.parse(readFileSync(join(dir, 'order%2F42.1.grant'), 'utf8'))).toMatchObject({
      fence: 1,
      released: true,
    })
    const text = readFileSync(join(dir, 'order%2F42.jsonl'), 'utf8')
    // The fields replay reads, as before; v2 records also carry the step's kind and times.
    const core = (l: string) => {
      if (l === '') return l
      const { seq, key, ok, value } = JSON.parse(l)
      return JSON.stringify(value === undefined ? { seq, key, ok } : { seq, key, ok, value })
    }
    expect(JSON.parse(text.split('\n')[0] ?? '')).toMatchObject({ kind: 'step', startedAt: expect.any(Number) })
    expect(text.split('\n').map(core)).toEqual([
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
    // v2: the lease was released, so the run is not locked.
    expect(JSON.parse(readFileSync(join(dir, 'bad.1.grant'), 'utf8'))).toMatchObject({ released: true })
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
    expect(JSON.parse(readFileSync(join(dir, 'shared.1.grant'), 'utf8'))).toMatchObject({ released: true })
  })

  it('a lease of a dead process is taken over at once; a live one is not (until it expires)', async () => {
    const dir = tempDir()
    const dead = spawn(process.execPath, ['-e', ''])
    await new Promise((r) => dead.on('exit', r))
    const grant = (pid: number | undefined, extra: object = {}) =>
      JSON.stringify({ owner: 'someone', fence: 1, expiresAt: Date.now() + 600_000, pid, host: hostname(), ...extra })
    writeFileSync(join(dir, 'stale.1.grant'), grant(dead.pid))
    const r = await createWorkflow({}, { store: fileStore(dir), runId: 'stale' })(async (step) => step(() => ok(1)))
    expect(r._unsafeUnwrap()).toBe(1)
    expect(readdirSync(dir).sort()).toEqual(['stale.2.grant', 'stale.jsonl', 'stale.lease'])

    writeFileSync(join(dir, 'live.1.grant'), grant(process.ppid))
    const locked = await createWorkflow({}, { store: fileStore(dir), runId: 'live' })(async (step) => step(() => ok(1)))
    expect(locked._unsafeUnwrapErr()).toMatchObject({ _tag: 'RunLockedError', pid: process.ppid })
    expect(existsSync(join(dir, 'live.jsonl'))).toBe(false)
    // Expired: taken over even though its process is alive (it may be frozen; fencing stops it).
    writeFileSync(join(dir, 'live.1.grant'), grant(process.ppid, { expiresAt: Date.now() - 1 }))
    const taken = await createWorkflow({}, { store: fileStore(dir), runId: 'live' })(async (step) => step(() => ok(2)))
    expect(taken._unsafeUnwrap()).toBe(2)
  })

  it('an empty or torn lease file never locks a run (issue 13, item 3)', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'empty.1.grant'), '')
    const r = await createWorkflow({}, { store: fileStore(dir), runId: 'empty' })(async (step) => step(() => ok(1)))
    expect(r._unsafeUnwrap()).toBe(1)
    writeFileSync(join(dir, 'torn.1.grant'), '{"owner":"x","fen')
    const t = await createWorkflow({}, { store: fileStore(dir), runId: 'torn' })(async (step) => step(() => ok(2)))
    expect(t._unsafeUnwrap()).toBe(2)
    // And the store itself never leaves one: grants are written whole (temp file, then link/rename).
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.grant') || n.endsWith('.lease'))) {
      expect(readFileSync(join(dir, f), 'utf8').length).toBeGreaterThan(0)
    }
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([])
  })

  it('a lease left by an earlier life of this very pid (a container restart as PID 1) is taken over (issue 13, item 4)', async () => {
    const dir = tempDir()
    const mine = JSON.stringify({
      owner: 'before-restart',
      fence: 4,
      expiresAt: Date.now() + 600_000,
      pid: process.pid,
      host: hostname(),
    })
    writeFileSync(join(dir, 'pid1.4.grant'), mine)
    writeFileSync(join(dir, 'pid1.lease'), '4\n')
    const r = await createWorkflow({}, { store: fileStore(dir), runId: 'pid1' })(async (step) => step(() => ok('mine')))
    expect(r._unsafeUnwrap()).toBe('mine')
    expect(JSON.parse(readFileSync(join(dir, 'pid1.5.grant'), 'utf8'))).toMatchObject({ fence: 5, released: true })
    expect(existsSync(join(dir, 'pid1.4.grant'))).toBe(false)
  })

  it('a lease of another thread of this process is not taken over before it expires (its owner is unknown here)', async () => {
    const dir = tempDir()
    const other = { owner: 'other-thread', fence: 1, pid: process.pid, thread: threadId + 1, host: hostname() }
    writeFileSync(join(dir, 't.1.grant'), JSON.stringify({ ...other, expiresAt: Date.now() + 600_000 }))
    const r = await createWorkflow({}, { store: fileStore(dir), runId: 't' })(async (step) => step(() => ok(1)))
    expect(r._unsafeUnwrapErr()).toMatchObject({ _tag: 'RunLockedError', pid: process.pid })
    writeFileSync(join(dir, 't.1.grant'), JSON.stringify({ ...other, expiresAt: Date.now() - 1 }))
    const later = await createWorkflow({}, { store: fileStore(dir), runId: 't' })(async (step) => step(() => ok(2)))
    expect(later._unsafeUnwrap()).toBe(2)
  })

  it('run ids are file names that stay inside the store: ".", "..", "/x" and 1000-byte ids work (issue 13, item 16)', async () => {
    const root = tempDir()
    const dir = join(root, 'store')
    const ids = [
      '.',
      '..',
      '../escape',
      '/etc/passwd',
      'é'.repeat(500),
      'x'.repeat(1000),
      `${'a'.repeat(200)}1`,
      `${'a'.repeat(200)}2`,
    ]
    for (const [i, runId] of ids.entries()) {
      const r = await createWorkflow({}, { store: fileStore(dir), runId })(async (step) => step(() => ok(i)))
      expect(r._unsafeUnwrap()).toBe(i)
    }
    expect(readdirSync(root)).toEqual(['store']) // nothing written beside the store directory
    for (const name of readdirSync(dir)) expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255)
    // Each id has its own history: a rerun answers from its own record.
    for (const [i, runId] of ids.entries()) {
      const again = await createWorkflow({}, { store: fileStore(dir), runId })(async (step) => step(() => ok(-1)))
      expect(again._unsafeUnwrap()).toBe(i)
    }
  })
})

describe('fileStore: big histories (issue 13, item 9)', () => {
  it('a history is read in chunks, line by line: records across chunk edges and multi-byte text load exactly', async () => {
    const dir = tempDir()
    const store = fileStore(dir)
    const lease = await store.acquire('big', 'me', 60_000)
    const value = 'é€😀'.repeat(50_000) // ~450 KB per line: lines straddle the 1 MB read chunks
    for (let seq = 0; seq < 12; seq++)
      await store.append(lease, { seq, key: `k${seq}`, ok: true, value: `${seq}${value}` })
    const back = await fileStore(dir).load('big')
    expect(back.map((r) => r.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i))
    expect(back.every((r, i) => r.value === `${i}${value}`)).toBe(true)
    await store.release(lease)
  })

  it('a record too big to be read back as one string is refused up front with a StoreError that says so', async () => {
    const dir = tempDir()
    const r = await createWorkflow(
      {},
      { store: fileStore(dir), runId: 'huge' },
    )(async (step) => step(() => ok('x'.repeat(65 * 1024 * 1024)), { name: 'huge' }))
    const e = r._unsafeUnwrapErr()
    expect(e).toMatchObject({ _tag: 'StoreError', operation: 'append', runId: 'huge' })
    expect(e.message).toMatch(/record 0 is over \d+ bytes/)
    expect(await fileStore(dir).load('huge')).toEqual([])
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
    expect(JSON.parse(readFileSync(join(store, 'order-42.2.grant'), 'utf8'))).toMatchObject({ released: true })

    // A third start finds the finished run and runs nothing.
    const third = await startChild([store, counter]).out
    expect(third).toContain('RESULT {"ok":{"a":1,"c":31,"d":62}}')
    expect(readFileSync(counter, 'utf8').split('\n').filter(Boolean)).toHaveLength(6)
  }, 20_000)
})

const frozenFixture = fileURLToPath(new URL('./fixtures/durable-frozen.mjs', import.meta.url))

describe('a frozen holder (SIGSTOP past its lease) is taken over and writes nothing more', () => {
  it('the new holder finishes the run; the old one, resumed, ends with LeaseLostError and its journal writes are lost', async () => {
    const dir = tempDir()
    const counter = join(dir, 'counter.txt')
    const store = join(dir, 'store')
    const child = spawn(process.execPath, [frozenFixture, store, counter], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    const ready = new Promise<void>((resolve) =>
      child.stdout?.on('data', (b: Buffer) => {
        out += b
        if (out.includes('READY')) resolve()
      }),
    )
    const exited = new Promise((r) => child.on('exit', r))
    await ready
    child.kill('SIGSTOP')
    // While its lease is live, the run is refused; once it expired (the holder is frozen), it is taken.
    let taken: Awaited<ReturnType<ReturnType<typeof createWorkflow>>> | undefined
    const ran: string[] = []
    for (let i = 0; i < 100 && taken === undefined; i++) {
      const r = await createWorkflow(
        {},
        { store: fileStore(store), runId: 'frozen', leaseMs: 5000 },
      )(async (step) => {
        const a = await step(() => ok(ran.push('a') && 10), { name: 'a' })
        const b = await step(() => ok(ran.push('b') && 20), { name: 'b' })
        const c = await step(() => ok(ran.push('c') && 30), { name: 'c' })
        return a + b + c
      })
      if (r.isErr() && r.error._tag === 'RunLockedError') await new Promise((res) => setTimeout(res, 50))
      else taken = r
    }
    expect(taken?._unsafeUnwrap()).toBe(1 + 20 + 30) // a replayed from the child's record
    expect(ran).toEqual(['b', 'c'])
    child.kill('SIGCONT')
    await exited
    expect(out).toContain('RESULT {"err":"LeaseLostError"}')
    expect(readFileSync(counter, 'utf8').split('\n').filter(Boolean)).toEqual(['child a', 'child b'])
    const recs = await fileStore(store).load('frozen')
    expect(recs.map((r) => [r.seq, r.value])).toEqual([
      [0, 1],
      [1, 20],
      [2, 30],
      [-1, 51],
    ])
  }, 20_000)
})
