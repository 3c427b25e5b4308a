import { build } from 'esbuild'
import { gzipSync } from 'node:zlib'
const out = await build({ stdin: { contents: `export { createWorkflow } from './src/index.ts'`, resolveDir: process.cwd(), loader: 'ts' }, bundle: true, minify: false, format: 'esm', platform: 'node', write: false, external: ['neverthrow'], logLevel: 'silent' })
const code = out.outputFiles[0].text
// split into sections by the "// path" comments esbuild emits
const parts = code.split(/\n(?=\/\/ [^\n]+\.(?:js|ts)\n)/)
const { transformSync } = await import('esbuild')
const total = gzipSync(transformSync(code, { minify: true }).code, { level: 9 }).length
console.log('total', total)
for (const p of parts) {
  const name = p.split('\n')[0]
  const rest = parts.filter((x) => x !== p).join('\n')
  let g
  try { g = gzipSync(transformSync(rest, { minify: true, format: 'esm' }).code, { level: 9 }).length } catch (e) { g = NaN }
  console.log(total - g, name, p.length)
}
