// Tiny side-by-side benchmark harness. Machines here are noisy, so every number is reported as a
// ratio against a baseline measured in the same run, with candidates interleaved round by round.

/**
 * @param {string} title
 * @param {{ name: string, fn: () => unknown | Promise<unknown> }[]} cases first case is the baseline
 * @param {{ rounds?: number, minMs?: number, warmup?: number }} [opts]
 */
export async function compare(title, cases, opts = {}) {
  const { rounds = 7, minMs = 150, warmup = 3 } = opts
  for (const c of cases) for (let i = 0; i < warmup; i++) await c.fn()
  /** @type {Map<string, number[]>} per-op times (ms) of each round */
  const samples = new Map(cases.map((c) => [c.name, []]))
  for (let r = 0; r < rounds; r++) {
    // Rotate the order each round so no case always runs first (or last) on a warm/cold machine.
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(k + r) % cases.length]
      globalThis.gc?.()
      let ops = 0
      const t0 = performance.now()
      let t = t0
      while (t - t0 < minMs) {
        await c.fn()
        ops++
        t = performance.now()
      }
      samples.get(c.name).push((t - t0) / ops)
    }
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b)
    return s[s.length >> 1]
  }
  const base = median(samples.get(cases[0].name))
  const rows = cases.map((c) => {
    const m = median(samples.get(c.name))
    return { name: c.name, ms: m, ratio: m / base }
  })
  print(title, rows, cases[0].name)
  return rows
}

/** Runs `fn` once per round and compares wall time (for long jobs: batches, pools). */
export async function compareOnce(title, cases, opts = {}) {
  const { rounds = 5, warmup = 1 } = opts
  for (const c of cases) for (let i = 0; i < warmup; i++) await c.fn()
  const samples = new Map(cases.map((c) => [c.name, []]))
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(k + r) % cases.length]
      globalThis.gc?.()
      const t0 = performance.now()
      await c.fn()
      samples.get(c.name).push(performance.now() - t0)
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
  const base = median(samples.get(cases[0].name))
  const rows = cases.map((c) => ({
    name: c.name,
    ms: median(samples.get(c.name)),
    ratio: median(samples.get(c.name)) / base,
  }))
  print(title, rows, cases[0].name)
  return rows
}

function print(title, rows, baseline) {
  console.log(`\n## ${title}\n`)
  console.log(`| case | median ms/op | × ${baseline} |`)
  console.log('|---|---:|---:|')
  for (const r of rows) console.log(`| ${r.name} | ${fmt(r.ms)} | ${r.ratio.toFixed(2)}× |`)
}

function fmt(ms) {
  return ms >= 10 ? ms.toFixed(1) : ms >= 0.1 ? ms.toFixed(3) : ms.toFixed(5)
}
