#!/usr/bin/env node
// The `okflow` binary (package.json "bin"): `npx okflow runs list --store ./runs`.
import { readFileSync, realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { runCli } from './cli.js'

/** okflow's version, from the package.json next to dist/ (no import.meta: this file is built as ESM and CJS). */
function version(): string {
  try {
    const file = join(dirname(realpathSync(process.argv[1] ?? '')), '..', 'package.json')
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

void runCli(
  process.argv.slice(2),
  { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) },
  version(),
).then((code) => {
  // exitCode, not exit(): stdout may still be flushing into a pipe.
  process.exitCode = code
})
