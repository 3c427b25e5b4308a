import { type FileHandle, link, mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { RunLockedError } from '../../errors.js'
import type { StepRecord, WorkflowStore } from './types.js'

const code = (e: unknown) => (e as NodeJS.ErrnoException | null)?.code

/** Whether a process with this id is running (EPERM: it is, under another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return code(e) === 'EPERM'
  }
}

/** The pid in a lock file; null if the file is gone, undefined if it holds no pid yet. */
async function readPid(path: string): Promise<number | null | undefined> {
  try {
    const pid = Number.parseInt(await readFile(path, 'utf8'), 10)
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch (e) {
    if (code(e) === 'ENOENT') return null
    throw e
  }
}

/**
 * Creates the lock file with exclusive create (`wx`), holding our pid. If it exists and its
 * process is alive → RunLockedError. If its process is dead (a crash), the stale lock is moved
 * aside with an atomic rename — only one taker can win that — and checked to still be the dead
 * process's lock before it is removed and the create retried once.
 */
async function takeLock(path: string, runId: string, retried = false): Promise<void> {
  try {
    const h = await open(path, 'wx')
    try {
      await h.writeFile(`${process.pid}\n`)
    } finally {
      await h.close()
    }
    return
  } catch (e) {
    if (code(e) !== 'EEXIST') throw e
  }
  const pid = await readPid(path)
  if (pid === null && !retried) return takeLock(path, runId, true) // released meanwhile
  if (pid === null || pid === undefined || alive(pid) || retried) throw new RunLockedError(runId, pid ?? undefined)
  const aside = `${path}.${process.pid}.stale`
  try {
    await rename(path, aside)
  } catch (e) {
    if (code(e) === 'ENOENT') return takeLock(path, runId, true)
    throw e
  }
  const moved = await readPid(aside)
  if (moved !== pid) {
    // Another process took the stale lock over between our read and our rename: give it back.
    await link(aside, path).catch(() => {})
    await rm(aside, { force: true })
    throw new RunLockedError(runId, moved ?? undefined)
  }
  await rm(aside, { force: true })
  return takeLock(path, runId, true)
}

/** Makes a new file's directory entry durable too (a synced file in an unsynced directory can vanish). */
async function syncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r')
  try {
    await h.sync()
  } finally {
    await h.close()
  }
}

/**
 * A durable store on the local file system: one append-only JSON Lines log per run in `dir`
 * (`<runId>.jsonl`, the id URI-encoded), one `StepRecord` per line.
 *
 * - Every append is written with the trailing newline in one write and `fdatasync`ed before it
 *   resolves, so a recorded step survives a crash or power loss.
 * - A crash mid-write can leave a torn last line (no newline, or not JSON). `load` ignores it —
 *   earlier lines are complete and never rewritten — and, when this store holds the run's
 *   lock, cuts it off so the next append starts a clean line.
 * - `lock` creates `<runId>.lock` with exclusive create (`wx`) holding the process id; another
 *   live holder (another process, or another run of the same id here) gets `RunLockedError`.
 *   A lock left by a process that no longer exists (killed, crashed) is stale and is taken
 *   over. The pid check cannot tell a reused pid from the original holder: if another process
 *   now has that pid, remove the lock file by hand. The lock is removed when the run settles.
 * - The log's file handle stays open only while the run holds the lock; it is closed on release.
 */
export function fileStore(dir: string): WorkflowStore {
  const logs = new Map<string, FileHandle>()
  const base = (runId: string) => join(dir, encodeURIComponent(runId))
  return {
    async load(runId) {
      let text: string
      try {
        text = await readFile(`${base(runId)}.jsonl`, 'utf8')
      } catch (e) {
        if (code(e) === 'ENOENT') return []
        throw e
      }
      // After the last newline is a torn write; a last line that is not JSON is torn too.
      const lines = text.slice(0, text.lastIndexOf('\n') + 1).split('\n')
      lines.pop()
      const out: StepRecord[] = []
      let good = 0
      for (const [i, line] of lines.entries()) {
        try {
          out.push(JSON.parse(line) as StepRecord)
          good += Buffer.byteLength(line) + 1
        } catch (e) {
          // Earlier lines were synced before the next was written: a broken one means damage.
          if (i < lines.length - 1) throw new Error(`${base(runId)}.jsonl: line ${i + 1} is not a record`, { cause: e })
        }
      }
      const log = logs.get(runId)
      if (log && good < Buffer.byteLength(text)) await log.truncate(good)
      return out
    },
    async append(runId, record) {
      const line = `${JSON.stringify(record)}\n`
      const held = logs.get(runId)
      if (held) {
        await held.appendFile(line)
        await held.datasync()
        return
      }
      // Without the lock (a store used directly): open, append, sync, close.
      await mkdir(dir, { recursive: true })
      const h = await open(`${base(runId)}.jsonl`, 'a')
      try {
        await h.appendFile(line)
        await h.datasync()
      } finally {
        await h.close()
      }
    },
    async lock(runId) {
      await mkdir(dir, { recursive: true })
      const lockPath = `${base(runId)}.lock`
      await takeLock(lockPath, runId)
      let log: FileHandle
      try {
        log = await open(`${base(runId)}.jsonl`, 'a')
        await syncDir(dir)
      } catch (e) {
        await rm(lockPath, { force: true })
        throw e
      }
      logs.set(runId, log)
      let released = false
      return async () => {
        if (released) return
        released = true
        logs.delete(runId)
        await log.close().catch(() => {})
        await rm(lockPath, { force: true })
      }
    },
  }
}
