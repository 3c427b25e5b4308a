// Runs one example by name: npm run example -- <name>   (e.g. npm run example -- hedged-requests)
// The examples import 'okflow', which resolves to the built dist/ (the npm script builds first).
import { readdirSync } from 'node:fs'

const names = readdirSync(new URL('./', import.meta.url))
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -'.ts'.length))
  .sort()
const name = process.argv[2]?.replace(/^examples\//, '').replace(/\.ts$/, '')

if (name === undefined || !names.includes(name)) {
  if (name !== undefined) console.error(`unknown example "${name}"`)
  console.error(`usage: npm run example -- <name>\nexamples: ${names.join(', ')}`)
  process.exit(name === undefined ? 0 : 1)
}
await import(`./${name}.ts`)
