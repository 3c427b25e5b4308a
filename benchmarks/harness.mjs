// Tiny side-by-side benchmark harness. Machines here are noisy, so every number is reported as a
// ratio against a baseline measured in the same run, with candidates interleaved round by round.

/**
 * Per-op time of many quick calls: each round runs a case for at least `minMs`.
 * @param {string} title
 * @param {{ name: string, fn: () => unknown | Promise<unknown>, warmup?: number }[]} cases first case is the baseline
 * @param {{ rounds?: number, minMs?: number, warmup?: number }} [opts]
 */
export function compare(title, cases, opts = {}) {
  const { rounds = 7, minMs = 150, warmup = 3 } = opts
  return run(title, cases, rounds, warmup, async (fn) => {
    let ops = 0
    const t0 = performance.now()
    let t = t0
    while (t - t0 < minMs) {
      await fn()
      ops++
      t = performance.now()
    }
    return (t - t0) / ops
  })
}

/** Wall time of one call per round (for long jobs: batches, pools). */
export function compareOnce(title, cases, opts = {}) {
  const { rounds = 5, warmup = 1 } = opts
  return run(title, cases, rounds, warmup, async (fn) => {
    const t0 = performance.now()
    await fn()
    return performance.now() - t0
  })
}

async function run(title, cases, rounds, warmup, measure) {
  // A case may set its own `warmup` (a very slow peer needs fewer calls to reach the same JIT state).
  for (const c of cases) for (let i = 0; i < (c.warmup ?? warmup); i++) await c.fn()
  /** @type {Map<string, number[]>} ms per op, one sample per round */
  const samples = new Map(cases.map((c) => [c.name, []]))
  for (let r = 0; r < rounds; r++) {
    // Rotate the order each round so no case always runs first (or last) on a warm/cold machine.
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(k + r) % cases.length]
      globalThis.gc?.()
      samples.get(c.name).push(await measure(c.fn))
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
  const base = median(samples.get(cases[0].name))
  const rows = cases.map((c) => {
    const ms = median(samples.get(c.name))
    return { name: c.name, ms, ratio: ms / base }
  })
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
