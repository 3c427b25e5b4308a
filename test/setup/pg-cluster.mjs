// A throw-away PostgreSQL cluster for tests and benchmarks: initdb into a temp dir, a free port
// on 127.0.0.1, the socket in the data dir, fsync off (nothing here must survive the machine; a
// server crash, `pg_ctl stop -m immediate`, loses nothing committed: commits stay synchronous).
// Plain JS so benchmarks (.mjs) and the vitest set-up (.ts) share it.
import { execFileSync, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const PG_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin']

/** The directory holding initdb and pg_ctl (PATH first, then Debian's versioned dirs), or undefined. */
export function pgBinDir() {
  const which = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' })
  const onPath = which.status === 0 ? which.stdout.trim() : ''
  if (onPath) {
    // Debian links /usr/bin/pg_ctl to a wrapper; initdb sits next to the real binary.
    const real = spawnSync('readlink', ['-f', onPath], { encoding: 'utf8' }).stdout.trim()
    const dir = real.slice(0, real.lastIndexOf('/'))
    if (existsSync(join(dir, 'initdb'))) return dir
  }
  return PG_DIRS.find((d) => existsSync(join(d, 'pg_ctl')) && existsSync(join(d, 'initdb')))
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0

/** Runs a PostgreSQL binary, as the `postgres` user when we are root (initdb refuses root). */
function pgRun(bin, args, { quiet = true } = {}) {
  const [cmd, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args]
  const r = spawnSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  if (r.status !== 0) {
    throw new Error(`${bin} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`)
  }
  if (!quiet) process.stdout.write(r.stdout)
  return r.stdout
}

/** A port nothing listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.unref()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

/**
 * Starts a fresh cluster. Returns what tests need to use it and to crash it:
 * `{ url, port, dataDir, binDir, pgCtl, stop(mode), start(), destroy() }`.
 */
export async function startCluster({ log = false } = {}) {
  const binDir = pgBinDir()
  if (!binDir) throw new Error('PostgreSQL binaries (initdb, pg_ctl) not found: apt-get install -y postgresql')
  const pgCtl = join(binDir, 'pg_ctl')
  const dataDir = mkdtempSync(join(tmpdir(), 'okflow-pg-'))
  if (isRoot()) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
    chownSync(dataDir, uid, gid)
  }
  pgRun(join(binDir, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'])
  const port = await freePort()
  const opts = `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`
  const logFile = join(dataDir, 'server.log')
  const cluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    binDir,
    pgCtl,
    /** Starts (or restarts) the server and waits until it accepts connections. */
    start() {
      pgRun(pgCtl, ['-D', dataDir, '-o', opts, '-l', logFile, '-w', '-t', '60', 'start'], { quiet: !log })
    },
    /** Stops the server; `immediate` is a crash (no checkpoint, clients cut off). */
    stop(mode = 'fast') {
      pgRun(pgCtl, ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop'], { quiet: !log })
    },
    /** Stops the server if it runs and removes the data dir. */
    destroy() {
      const status = spawnSync(
        isRoot() ? 'runuser' : pgCtl,
        isRoot() ? ['-u', 'postgres', '--', pgCtl, '-D', dataDir, 'status'] : ['-D', dataDir, 'status'],
      )
      if (status.status === 0) {
        try {
          cluster.stop('immediate')
        } catch {
          // Already gone: nothing to stop.
        }
      }
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
  try {
    cluster.start()
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true })
    throw e
  }
  return cluster
}
