import { build } from 'esbuild'
import { gzipSync } from 'node:zlib'
const out = await build({ stdin: { contents: `export { createWorkflow } from 'okflow'`, resolveDir: process.cwd(), loader: 'js' }, bundle: true, minify: true, format: 'esm', platform: 'node', write: false, external: ['neverthrow'], metafile: true, logLevel: 'silent' })
const code = out.outputFiles[0].text
console.log(code.length, gzipSync(code, { level: 9 }).length)
const strs = code.match(/"[^"]{12,}"|`[^`]{12,}`/g) ?? []
let t = 0; for (const s of strs) t += s.length
console.log('strings', strs.length, t)
console.log(strs.sort((a,b)=>b.length-a.length).slice(0,40).join('\n'))
