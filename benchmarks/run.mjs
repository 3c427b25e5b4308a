// Runs every benchmarks/*.bench.mjs (or those whose name contains argv[2]) one after another.
import { readdirSync } from 'node:fs'

const filter = process.argv[2] ?? ''
const dir = new URL('./', import.meta.url)
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.mjs') && f.includes(filter))
  .sort()
console.log(`# okflow benchmarks — node ${process.version}, ${new Date().toISOString()}`)
for (const f of files) {
  console.log(`\n# ${f}`)
  await import(new URL(f, dir).href)
}
