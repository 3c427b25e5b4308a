import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))

/** Runs an example the way a user would (TypeScript through tsx, importing the built package). */
export function runExample(file: string, timeoutMs = 60_000): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8', timeout: timeoutMs })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** The part of an example's output under its heading `n. …`, up to the next numbered heading. */
export function scenarioOf(stdout: string, n: number): string {
  const start = stdout.indexOf(`${n}. `)
  const end = stdout.indexOf(`${n + 1}. `)
  return stdout.slice(start, end === -1 ? undefined : end)
}
