// Builds dist/ with tsup and stamps it with a hash of what it was built from, so the test
// set-up (test/setup/build.ts) can tell a fresh build from a stale one without trusting mtimes.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const STAMP = join(root, 'dist', '.source-hash')
/** Everything a build reads besides node_modules. */
const INPUTS = ['src', 'tsup.config.ts', 'package.json', 'tsconfig.json']

function files(p) {
  if (!existsSync(p)) return []
  try {
    return readdirSync(p, { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .flatMap((d) => (d.isDirectory() ? files(join(p, d.name)) : [join(p, d.name)]))
  } catch {
    return [p]
  }
}

/** A hash of the build's inputs: their paths and contents. */
export function sourceHash() {
  const h = createHash('sha256')
  for (const input of INPUTS) {
    for (const f of files(join(root, input))) {
      h.update(relative(root, f))
      h.update('\0')
      h.update(readFileSync(f))
      h.update('\0')
    }
  }
  return h.digest('hex')
}

/** The hash dist/ was built from, or undefined when there is no stamped build. */
export function builtHash() {
  return existsSync(STAMP) ? readFileSync(STAMP, 'utf8').trim() : undefined
}

/** Builds unless dist/ was built from exactly these sources; returns whether it built. */
export function buildIfStale({ force = false, silent = false } = {}) {
  const hash = sourceHash()
  if (!force && builtHash() === hash) return false
  // Built beside dist/ (same depth, so source-map paths are the same), then moved in file by file:
  // tsup empties its out dir first, and a test or process loading dist/ during a build (a second
  // build in the same checkout) would find it missing or half written.
  const next = join(root, `.dist-next-${process.pid}`)
  try {
    const args = ['--out-dir', next, ...(silent ? ['--silent'] : [])]
    const r = spawnSync(join(root, 'node_modules', '.bin', 'tsup'), args, {
      cwd: root,
      stdio: silent ? ['ignore', 'ignore', 'inherit'] : 'inherit',
    })
    if (r.status !== 0) throw new Error(`build failed (tsup exited with ${r.status ?? r.signal})`)
    swapIn(next, join(root, 'dist'))
  } finally {
    rmSync(next, { recursive: true, force: true })
  }
  writeFileSync(STAMP, `${hash}\n`)
  return true
}

/**
 * Replaces dist/ with the build in `next` so that every file is whole whenever it is read: each
 * is renamed over its old version (atomic), chunks before the entry points that import them,
 * and files the new build no longer has are removed last.
 */
function swapIn(next, dist) {
  const built = files(next).map((f) => relative(next, f))
  const isChunk = (f) => /^chunk-/.test(f)
  for (const f of [...built.filter(isChunk), ...built.filter((f) => !isChunk(f))]) {
    mkdirSync(join(dist, f, '..'), { recursive: true })
    renameSync(join(next, f), join(dist, f))
  }
  const keep = new Set(built)
  for (const f of files(dist)) {
    const rel = relative(dist, f)
    if (!keep.has(rel) && f !== STAMP) rmSync(f, { force: true })
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    buildIfStale({ force: true })
  } catch (e) {
    console.error(e.message)
    process.exit(1)
  }
}
