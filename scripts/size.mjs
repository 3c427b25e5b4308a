// Bundle size a user pays for one import: minified + gzipped, neverthrow external.
// Usage: node scripts/size.mjs [--json]. Used by test/size.test.ts and the README table.
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

export const budgets = {
  allAsync: 2_500,
  // 7 KB until store v2: leases (heartbeat, fencing, LeaseLostError), group commit, retry,
  // codecs and stricter JSON checks are in createWorkflow, since any store may be passed to it.
  createWorkflow: 8_500,
  processInBatches: 5_000,
}

export async function sizeOf(name, entry = 'okflow') {
  const out = await build({
    stdin: { contents: `export { ${name} } from '${entry}'`, resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    write: false,
    external: ['neverthrow'],
    logLevel: 'silent',
  })
  const code = out.outputFiles[0].contents
  return { name, min: code.length, gzip: gzipSync(code, { level: 9 }).length }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await Promise.all(Object.keys(budgets).map((n) => sizeOf(n)))
  for (const r of rows) console.log(`${r.name}: ${r.min} B min, ${r.gzip} B min+gz (budget ${budgets[r.name]} B)`)
}
