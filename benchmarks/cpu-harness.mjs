// CPU-time comparison for single-thread cases (issue 18's method): the same inputs for every
// contestant, rounds interleaved with a rotating order, each sample one whole run (≥ 10 ms),
// no gc() between samples. Prints each case's median as a ratio to the first (the baseline).
import { cpuUsage } from 'node:process'

/**
 * @param {string} title
 * @param {{ name: string, fn: () => unknown }[]} cases the first case is the baseline
 * @param {{ rounds?: number, warmup?: number }} [opts]
 * @returns {Promise<{ name: string, ms: number, ratio: number }[]>}
 */
export async function compareCpu(title, cases, { rounds = 7, warmup = 2 } = {}) {
  for (const c of cases) for (let i = 0; i < warmup; i++) await c.fn()
  const samples = new Map(cases.map((c) => [c.name, []]))
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(k + r) % cases.length]
      const t0 = cpuUsage()
      await c.fn()
      const d = cpuUsage(t0)
      const ms = (d.user + d.system) / 1000
      if (ms < 10) throw new Error(`${c.name}: a sample took ${ms.toFixed(2)} ms of CPU (< 10 ms); use more items`)
      samples.get(c.name).push(ms)
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
  const base = median(samples.get(cases[0].name))
  const rows = cases.map((c) => {
    const ms = median(samples.get(c.name))
    const xs = samples.get(c.name)
    return { name: c.name, ms, ratio: ms / base, min: Math.min(...xs) / base, max: Math.max(...xs) / base }
  })
  console.log(`\n## ${title} (CPU time, median of ${rounds})\n`)
  console.log(`| case | CPU ms/run | × ${cases[0].name} |`)
  console.log('|---|---:|---:|')
  for (const row of rows) console.log(`| ${row.name} | ${row.ms.toFixed(1)} | ${row.ratio.toFixed(2)}× |`)
  return rows
}
