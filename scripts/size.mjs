// Bundle size a user pays for one import: minified + gzipped, neverthrow external, bundled from
// the built package. `gzip` is what loads with the import; code behind a dynamic `import()`
// (the durable machinery, loaded only by workflows with a store) comes later, on demand, and is
// reported apart as `lazyGzip` (the difference the lazy part makes to the whole bundle).
// Usage: node scripts/size.mjs. Used by test/size.test.ts and the README table.
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

export const budgets = {
  allAsync: 2_500,
  createWorkflow: 7_000,
  // 5_000 in 0.1; options, items and thenables are now read once under guards, sizes are bounded,
  // and failures are ItemFailedErrors (0.2). Not one of the two budgets the project sets.
  processInBatches: 5_800,
}

/** Leaves every dynamic `import()` out of the bundle: what it loads comes later, on demand. */
const lazyOut = {
  name: 'lazy-out',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) =>
      args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined,
    )
  },
}

async function bundle(name, entry, plugins) {
  const out = await build({
    stdin: { contents: `export { ${name} } from '${entry}'`, resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    write: false,
    external: ['neverthrow'],
    logLevel: 'silent',
    plugins,
  })
  return out.outputFiles[0].contents
}

export async function sizeOf(name, entry = 'okflow') {
  const eager = await bundle(name, entry, [lazyOut])
  const whole = await bundle(name, entry, [])
  const gzip = gzipSync(eager, { level: 9 }).length
  return { name, min: eager.length, gzip, lazyGzip: gzipSync(whole, { level: 9 }).length - gzip }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await Promise.all(Object.keys(budgets).map((n) => sizeOf(n)))
  for (const r of rows) {
    const lazy = r.lazyGzip ? ` (+ ${r.lazyGzip} B loaded on demand)` : ''
    console.log(`${r.name}: ${r.min} B min, ${r.gzip} B min+gz${lazy} (budget ${budgets[r.name]} B)`)
  }
}
