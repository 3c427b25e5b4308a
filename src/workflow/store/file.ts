/**
 * fileStore: a v2 store (leases, fenced appends, run queue) on the local file system.
 * Longer than most files because the lease protocol and the journal are one mechanism: the
 * fence check, the journal handle and its rotation at a takeover only make sense together.
 */
import { createHash } from 'node:crypto'
import { constants, existsSync, readFileSync } from 'node:fs'
import { type FileHandle, link, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { threadId } from 'node:worker_threads'
import { LeaseLostError, RunLockedError, StoreError } from '../../errors.js'
import { createQueue, type QueueBackend, reopened } from './queue.js'
import type { EmittedEvent, Lease, RunInfo, RunStore, StepRecord, StoreOptions } from './types.js'

const code = (e: unknown) => (e as NodeJS.ErrnoException | null)?.code

/** A record line longer than this is refused at append (it could not be read back as one string). */
const MAX_RECORD_BYTES = 64 * 1024 * 1024
const CHUNK = 1024 * 1024

/** What a grant file holds. Written whole (temp file + link/rename), so never empty or torn. */
interface Grant {
  readonly owner: string
  readonly fence: number
  readonly expiresAt: number
  readonly pid: number
  /** The worker thread (threadId) of the holder within its process. */
  readonly thread?: number
  readonly host: string
  readonly released?: boolean
}

/**
 * Owners holding a lease in this thread right now, with how many leases each holds (a worker
 * holds many runs under one owner), across fileStore instances and across copies of okflow
 * loaded in one thread (its ESM and CJS builds): kept on globalThis, made on first use.
 */
const OWNERS = Symbol.for('okflow.fileStore.owners.counted')
const owners = (): Map<string, number> => {
  const g = globalThis as { [OWNERS]?: Map<string, number> }
  g[OWNERS] ??= new Map()
  return g[OWNERS]
}
const hold = (owner: string) => owners().set(owner, (owners().get(owner) ?? 0) + 1)
const unhold = (owner: string) => {
  const n = (owners().get(owner) ?? 0) - 1
  if (n > 0) owners().set(owner, n)
  else owners().delete(owner)
}
// Read on first use, not at import: importing okflow does no work.
let host: string | undefined
const hostName = () => (host ??= hostname())
/** Where this process and thread are, as a grant records it. */
const here = () => ({ pid: process.pid, thread: threadId, host: hostName() })
let tmpSeq = 0
const tmpName = (path: string) => `${path}.${process.pid}-${++tmpSeq}.tmp`

/**
 * A file name for a run id (or idempotency key): the id URI-encoded when that is short and not
 * all dots; otherwise a readable prefix and a hash (`%~` never occurs in an encoded id, so a
 * hashed name cannot equal another id's plain name).
 */
export function safeName(id: string): string {
  const enc = encodeURIComponent(id)
  if (enc.length <= 200 && !/^\.*$/.test(enc)) return enc
  return `${enc.slice(0, 150).replace(/^\.+/, '')}%~${createHash('sha256').update(id).digest('hex').slice(0, 24)}`
}

/** Whether the process that wrote a grant is certainly gone (same host only: elsewhere, wait for expiry). */
function holderGone(g: Grant): boolean {
  if (g.host !== hostName()) return false
  // Our own pid and thread but an owner we do not know: a previous life of this pid (a container's
  // PID 1 restarted). Another thread of this process: we cannot tell, so its lease runs out first.
  if (g.pid === process.pid) return (g.thread ?? 0) === threadId && !owners().has(g.owner)
  try {
    process.kill(g.pid, 0)
    return false
  } catch (e) {
    return code(e) !== 'EPERM'
  }
}

function parseGrant(text: string): Grant | undefined {
  try {
    const g = JSON.parse(text) as Grant
    return typeof g?.owner === 'string' && Number.isInteger(g.fence) && typeof g.expiresAt === 'number' ? g : undefined
  } catch {
    return undefined
  }
}

/** Writes a file whole: a temp file, synced, then renamed over (or linked, when `exclusive`). */
async function writeWhole(path: string, text: string, exclusive = false): Promise<boolean> {
  const tmp = tmpName(path)
  const h = await open(tmp, 'w')
  try {
    await h.writeFile(text)
    await h.datasync()
  } finally {
    await h.close()
  }
  try {
    if (!exclusive) {
      await rename(tmp, path)
      return true
    }
    await link(tmp, path)
    return true
  } catch (e) {
    if (exclusive && code(e) === 'EEXIST') return false
    throw e
  } finally {
    if (exclusive) await rm(tmp, { force: true })
  }
}

/** A run-record lock older than this (by the file system's clock) was left by a crash: broken. */
const LOCK_STALE_MS = 5000

/** Whether a lock file was left behind: its process is gone (same host), or it is old. */
async function staleLock(path: string): Promise<boolean> {
  try {
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)])
    if (Date.now() - st.mtimeMs > LOCK_STALE_MS) return true
    const w = JSON.parse(text) as { pid?: number; host?: string }
    if (w.host !== hostName() || typeof w.pid !== 'number' || w.pid === process.pid) return false
    try {
      process.kill(w.pid, 0)
      return false
    } catch (e) {
      return code(e) !== 'EPERM'
    }
  } catch (e) {
    // Gone meanwhile (free now), or created and not yet written: not stale.
    if (code(e) === 'ENOENT' || e instanceof SyntaxError) return false
    throw e
  }
}

/** The complete lines of a lines file (each a JSON string); a torn last line is left out. */
async function readLines(path: string): Promise<{ lines: string[]; whole: boolean }> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    if (code(e) === 'ENOENT') return { lines: [], whole: true }
    throw e
  }
  const lines: string[] = []
  for (const line of text.split('\n').slice(0, -1)) {
    try {
      const v = JSON.parse(line) as unknown
      if (typeof v === 'string') lines.push(v)
    } catch {
      // torn by a crash (and a line appended after it): the caller appends it again
    }
  }
  return { lines, whole: text.length === 0 || text.endsWith('\n') }
}

/** Adds the ids a lines file does not have yet, in one synced append. */
async function addLines(path: string, ids: readonly string[]): Promise<void> {
  const { lines, whole } = await readLines(path)
  const have = new Set(lines)
  const add = [...new Set(ids)].filter((id) => !have.has(id))
  if (add.length === 0) return
  // After a torn line, start a new one (so the first id is not glued to the torn one).
  const text = `${whole ? '' : '\n'}${add.map((id) => `${JSON.stringify(id)}\n`).join('')}`
  const h = await open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC)
  try {
    await h.write(text)
  } finally {
    await h.close()
  }
}

/** Makes new directory entries durable too (a synced file in an unsynced directory can vanish). */
async function syncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r')
  try {
    await h.sync()
  } finally {
    await h.close()
  }
}

/**
 * Reads a journal line by line in chunks (a history of any size loads; a single string is
 * limited to ~512 MB). Returns the complete records and the byte length they take; a last line
 * without its newline, or that is not JSON, is a torn write and left out.
 */
async function readJournal(path: string): Promise<{ records: StepRecord[]; good: number; size: number }> {
  let h: FileHandle
  try {
    h = await open(path, 'r')
  } catch (e) {
    if (code(e) === 'ENOENT') return { records: [], good: 0, size: 0 }
    throw e
  }
  try {
    const records: StepRecord[] = []
    let good = 0
    let pos = 0
    let rest = Buffer.alloc(0)
    let pending: { line: Buffer; n: number } | undefined
    let n = 0
    const buf = Buffer.alloc(CHUNK)
    for (;;) {
      const { bytesRead } = await h.read(buf, 0, CHUNK, pos)
      if (bytesRead === 0) break
      pos += bytesRead
      let data = Buffer.concat([rest, buf.subarray(0, bytesRead)])
      let nl = data.indexOf(10)
      while (nl >= 0) {
        const line = data.subarray(0, nl)
        n++
        // The line before this one was not JSON and is not the last: damage, not a tear.
        if (pending) throw new Error(`${path}: line ${pending.n} is not a record`)
        try {
          records.push(JSON.parse(line.toString('utf8')) as StepRecord)
          good += line.length + 1
        } catch {
          pending = { line, n }
        }
        data = data.subarray(nl + 1)
        nl = data.indexOf(10)
      }
      if (data.length > MAX_RECORD_BYTES) throw new Error(`${path}: a line longer than ${MAX_RECORD_BYTES} bytes`)
      rest = Buffer.from(data)
    }
    return { records, good, size: pos }
  } finally {
    await h.close()
  }
}

interface HeldRun {
  lease: Lease
  log: FileHandle
  seqs: Set<number> | undefined
}

/**
 * A durable store on the local file system, in `dir`; per run (its id made a safe file name,
 * see below):
 * - `<run>.jsonl`: the journal, one `StepRecord` per line, appended through a descriptor opened
 *   with `O_DSYNC`: one synced write per record (several records finishing together go in one
 *   write). A crash mid-write can leave a torn last line: `load` leaves it out and the holder
 *   cuts it off before appending.
 * - `<run>.<fence>.grant`: the lease with that fence, `{ owner, fence, expiresAt, pid, host }`,
 *   always written whole (temp file, then link or rename), so it is never empty. A grant is
 *   created with an exclusive link: of two takers of one fence only one wins. The holder of
 *   fence F has lost its lease as soon as `<run>.<F+1>.grant` exists: every append checks.
 *   `<run>.lease` names the latest fence (a hint where the search starts; old grants go).
 *   A live lease of another owner is refused with `RunLockedError` (its `pid`); an expired one
 *   is taken over, and so at once is one whose holder process is gone (same host, pid not
 *   running, or our own pid and thread with an owner we do not know: a restarted container).
 *   At a takeover the journal is copied to a fresh file and renamed over: a frozen old holder
 *   that still writes writes into the old, unlinked file, never into the live journal.
 * - `<run>.run.json` (runs made with `createRun`) and `<key>.idem` (idempotency keys), for
 *   createClient/createWorker and the command line. A change of a run's record (a claim, a
 *   state change, a cancel, a wake-up) holds `<run>.run.lock` (exclusive create; broken when its
 *   process is gone or it is over 5 s old), so changes from several processes are not lost.
 * - `<parent>.children` (one JSON string per line: the ids of its child runs, written before the
 *   children's records), `<key>.event.json` (an emitted event: exclusive link, so the first emit
 *   wins across processes) and `<key>.waiters` (runs waiting for the key, one per line).
 *
 * Run ids are URI-encoded into names; an id whose name would be long (over 200 bytes) or all
 * dots (`.`, `..`) gets a prefix and a hash instead, so every id stays inside `dir` and every name
 * (with the longest suffix, a grant's temp file) within 255 bytes.
 */
/** Runs the operations given for one key one after another, in the order given. */
function serialiser() {
  const ops = new Map<string, Promise<unknown>>()
  return <T>(key: string, op: () => Promise<T>): Promise<T> => {
    const p = (ops.get(key) ?? Promise.resolve()).then(op, op)
    const tail = p.catch(() => {})
    ops.set(key, tail)
    tail.then(() => {
      if (ops.get(key) === tail) ops.delete(key)
    })
    return p
  }
}

export function fileStore(dir: string, options: StoreOptions = {}): RunStore {
  const now = options.now ?? Date.now
  const held = new Map<string, HeldRun>()
  // Grant writes of one run in order: a heartbeat still in flight must not land after the release.
  const serial = serialiser()
  // Run-record changes of one run in order here; across processes, the record's lock file.
  const updates = serialiser()
  const base = (runId: string) => join(dir, safeName(runId))
  const grantPath = (runId: string, fence: number) => `${base(runId)}.${fence}.grant`
  let made: Promise<unknown> | undefined
  const ensureDir = () => {
    made ??= mkdir(dir, { recursive: true }).catch((e: unknown) => {
      made = undefined
      throw e
    })
    return made
  }

  /** The run's latest grant (fence 0 and no grant for a run never leased). */
  async function latest(runId: string): Promise<{ fence: number; grant: Grant | undefined }> {
    let fence = 0
    try {
      const hint = Number.parseInt(await readFile(`${base(runId)}.lease`, 'utf8'), 10)
      if (Number.isInteger(hint) && hint > 0) fence = hint
    } catch (e) {
      if (code(e) !== 'ENOENT') throw e
    }
    let grant: Grant | undefined
    if (fence > 0) grant = (await readGrant(runId, fence)) ?? undefined
    for (;;) {
      const next = await readGrant(runId, fence + 1)
      if (next === null) break
      fence++
      grant = next
    }
    return { fence, grant: grant ?? undefined }
  }

  /** A grant file: its content, undefined if it is unreadable (never written whole: not a live lease), null if absent. */
  async function readGrant(runId: string, fence: number): Promise<Grant | undefined | null> {
    try {
      return parseGrant(await readFile(grantPath(runId, fence), 'utf8'))
    } catch (e) {
      if (code(e) === 'ENOENT') return null
      throw e
    }
  }

  /** Throws LeaseLostError unless `lease` is the run's current lease (sync: a stat and a small read). */
  function checkLease(lease: Lease): void {
    const mine = held.get(lease.runId)?.lease
    let g: Grant | undefined
    try {
      if (existsSync(grantPath(lease.runId, lease.fence + 1))) throw new LeaseLostError(lease.runId, lease.fence)
      // Only its holder writes grant F (renew, release): held here, it needs no reading.
      if (mine && mine.fence === lease.fence && mine.owner === lease.owner) return
      g = parseGrant(readFileSync(grantPath(lease.runId, lease.fence), 'utf8'))
    } catch (e) {
      if (e instanceof LeaseLostError || code(e) === 'ENOENT') throw new LeaseLostError(lease.runId, lease.fence)
      throw e
    }
    if (!g || g.owner !== lease.owner || g.released) throw new LeaseLostError(lease.runId, lease.fence)
  }

  async function acquire(runId: string, owner: string, leaseMs: number): Promise<Lease> {
    await ensureDir()
    const { fence, grant } = await latest(runId)
    const t = now()
    if (grant && !grant.released && grant.expiresAt > t && grant.owner !== owner && !holderGone(grant)) {
      throw new RunLockedError(runId, grant.host === hostName() ? grant.pid : undefined)
    }
    // Was the previous lease given up cleanly? If not, its holder may still be writing somewhere.
    const takeover = fence > 0 && !grant?.released
    const next: Grant = { owner, fence: fence + 1, expiresAt: t + leaseMs, ...here() }
    if (!(await writeWhole(grantPath(runId, next.fence), JSON.stringify(next), true))) {
      const other = await readGrant(runId, next.fence)
      throw new RunLockedError(runId, other && other.host === hostName() ? other.pid : undefined)
    }
    hold(owner)
    const lease: Lease = { runId, owner, fence: next.fence, expiresAt: next.expiresAt }
    try {
      const journal = `${base(runId)}.jsonl`
      if (takeover) {
        // A fresh journal file: the old holder's descriptor keeps pointing at the replaced one.
        const { records, size } = await readJournal(journal)
        if (size > 0) {
          await writeWhole(journal, records.map((r) => `${JSON.stringify(r)}\n`).join(''))
        }
      }
      const log = await open(journal, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC)
      const before = held.get(runId)
      if (before) {
        before.log.close().catch(() => {})
        unhold(before.lease.owner)
      }
      held.set(runId, { lease, log, seqs: undefined })
      await writeWhole(`${base(runId)}.lease`, `${next.fence}\n`)
      await syncDir(dir)
      if (fence > 0) await rm(grantPath(runId, fence), { force: true })
    } catch (e) {
      if (held.get(runId)?.lease !== lease) unhold(owner) // release only counts a lease it finds held
      await release(lease).catch(() => {})
      throw e
    }
    return lease
  }

  function release(lease: Lease): Promise<void> {
    return serial(lease.runId, () => releaseNow(lease))
  }

  async function releaseNow(lease: Lease): Promise<void> {
    const h = held.get(lease.runId)
    if (h && h.lease.fence === lease.fence) {
      held.delete(lease.runId)
      unhold(lease.owner)
      await h.log.close().catch(() => {})
    }
    try {
      checkLease(lease)
    } catch (e) {
      if (e instanceof LeaseLostError) return
      throw e
    }
    const g: Grant = { owner: lease.owner, fence: lease.fence, expiresAt: 0, ...here(), released: true }
    await writeWhole(grantPath(lease.runId, lease.fence), JSON.stringify(g))
  }

  /** The holder's state of the run, with the seqs it has recorded (read once). */
  async function holding(lease: Lease): Promise<HeldRun> {
    checkLease(lease)
    const h = held.get(lease.runId)
    if (!h || h.lease.fence !== lease.fence) {
      // This store instance never took the lease (another instance of the same dir did): refuse.
      throw new LeaseLostError(lease.runId, lease.fence)
    }
    if (!h.seqs) await load(lease.runId)
    return h
  }

  async function load(runId: string): Promise<readonly StepRecord[]> {
    const { records, good, size } = await readJournal(`${base(runId)}.jsonl`)
    const h = held.get(runId)
    if (h) {
      if (good < size) await h.log.truncate(good)
      h.seqs = new Set(records.map((r) => r.seq))
    }
    return records
  }

  async function appendMany(lease: Lease, records: readonly StepRecord[]): Promise<void> {
    const h = await holding(lease)
    const seqs = h.seqs as Set<number>
    const batch = new Set<number>()
    let text = ''
    for (const r of records) {
      if (seqs.has(r.seq) || batch.has(r.seq)) {
        throw new StoreError('append', lease.runId, new Error(`seq ${r.seq} is already recorded`))
      }
      batch.add(r.seq)
      const line = `${JSON.stringify(r)}\n`
      if (line.length > MAX_RECORD_BYTES / 3 && Buffer.byteLength(line) > MAX_RECORD_BYTES) {
        throw new StoreError('append', lease.runId, new Error(`record ${r.seq} is over ${MAX_RECORD_BYTES} bytes`))
      }
      text += line
    }
    checkLease(lease)
    // One write on an O_DSYNC descriptor: durable when it returns, one thread-pool hop.
    await h.log.write(text)
    for (const s of batch) seqs.add(s)
  }

  const runFile = (runId: string) => `${base(runId)}.run.json`
  const readInfo = async (path: string): Promise<RunInfo | undefined> => {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as RunInfo
    } catch (e) {
      if (code(e) === 'ENOENT') return undefined
      throw e
    }
  }
  /** Holds `<run>.run.lock` (exclusive create) while `f` runs: one record change at a time across processes. */
  async function locked<T>(runId: string, f: () => Promise<T>): Promise<T> {
    const path = `${base(runId)}.run.lock`
    for (let tries = 0; ; tries++) {
      try {
        const h = await open(path, 'wx')
        try {
          await h.writeFile(JSON.stringify(here()))
        } finally {
          await h.close()
        }
        break
      } catch (e) {
        if (code(e) !== 'EEXIST') throw e
      }
      if (await staleLock(path)) await rm(path, { force: true })
      else await new Promise((r) => setTimeout(r, Math.min(1 + tries, 20)))
    }
    try {
      return await f()
    } finally {
      await rm(path, { force: true })
    }
  }
  const eventFile = (key: string) => join(dir, `${safeName(key)}.event.json`)
  const backend: QueueBackend = {
    now,
    getInfo: (runId) => readInfo(runFile(runId)),
    update: (runId, change) =>
      updates(runId, async () => {
        await ensureDir()
        return locked(runId, async () => {
          const info = await readInfo(runFile(runId))
          const next = info && change(info)
          if (next === undefined) return undefined
          await writeWhole(runFile(runId), JSON.stringify(next))
          return next
        })
      }),
    createInfo: async (info) => {
      await ensureDir()
      return writeWhole(runFile(info.runId), JSON.stringify(info), true)
    },
    bindKey: async (key, runId) => {
      await ensureDir()
      const path = join(dir, `${safeName(key)}.idem`)
      if (await writeWhole(path, JSON.stringify({ key, runId }), true)) return { runId, bound: true }
      return { runId: (JSON.parse(await readFile(path, 'utf8')) as { runId: string }).runId, bound: false }
    },
    listInfos: async () => {
      let names: string[]
      try {
        names = await readdir(dir)
      } catch (e) {
        if (code(e) === 'ENOENT') return []
        throw e
      }
      const infos = await Promise.all(names.filter((n) => n.endsWith('.run.json')).map((n) => readInfo(join(dir, n))))
      return infos.filter((x): x is RunInfo => x !== undefined)
    },
    tryAcquire: async (runId, owner, leaseMs) => {
      try {
        return await acquire(runId, owner, leaseMs)
      } catch (e) {
        if (e instanceof RunLockedError) return undefined
        throw e
      }
    },
    check: async (lease) => checkLease(lease),
    release,
    holder: async (runId) => {
      const { grant } = await latest(runId)
      return grant && !grant.released && grant.expiresAt > now() && !holderGone(grant) ? grant.owner : undefined
    },
    load,
    addChildren: async (parentId, runIds) => {
      await ensureDir()
      await updates(`children:${parentId}`, () => addLines(`${base(parentId)}.children`, runIds))
    },
    childIds: async (parentId) => (await readLines(`${base(parentId)}.children`)).lines,
    createEvent: async (key, event) => {
      await ensureDir()
      // An exclusive link: of two emitters (in any processes) exactly one creates it.
      return writeWhole(eventFile(key), JSON.stringify({ key, ...event }), true)
    },
    readEvent: async (key) => {
      try {
        const { payload, at } = JSON.parse(await readFile(eventFile(key), 'utf8')) as EmittedEvent
        return { payload, at }
      } catch (e) {
        if (code(e) === 'ENOENT') return undefined
        throw e
      }
    },
    addWaiter: async (key, runId) => {
      await ensureDir()
      await updates(`waiters:${key}`, () => addLines(join(dir, `${safeName(key)}.waiters`), [runId]))
    },
    waitersOf: async (key) => (await readLines(join(dir, `${safeName(key)}.waiters`))).lines,
  }

  return {
    ...createQueue(backend),
    acquire,
    renew: (lease, leaseMs) =>
      serial(lease.runId, async () => {
        checkLease(lease)
        const expiresAt = now() + leaseMs
        const g: Grant = { owner: lease.owner, fence: lease.fence, expiresAt, ...here() }
        await writeWhole(grantPath(lease.runId, lease.fence), JSON.stringify(g))
        checkLease(lease) // a takeover may have happened meanwhile
        return { ...lease, expiresAt }
      }),
    release,
    load,
    append: (lease, record) => appendMany(lease, [record]),
    appendMany,
    async reopen(lease) {
      await holding(lease)
      const journal = `${base(lease.runId)}.jsonl`
      const keep = reopened((await readJournal(journal)).records)
      const h = held.get(lease.runId) as HeldRun
      checkLease(lease)
      await writeWhole(journal, keep.map((r) => `${JSON.stringify(r)}\n`).join(''))
      // The journal is a new file now: append through a descriptor of that one.
      const log = await open(journal, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC)
      await h.log.close().catch(() => {})
      h.log = log
      h.seqs = new Set(keep.map((r) => r.seq))
    },
  }
}
