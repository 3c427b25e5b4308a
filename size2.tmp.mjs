import { build } from 'esbuild'
const out = await build({ stdin: { contents: `export { createWorkflow } from './src/index.ts'`, resolveDir: process.cwd(), loader: 'ts' }, bundle: true, minify: true, format: 'esm', platform: 'node', write: false, external: ['neverthrow'], metafile: true, logLevel: 'silent' })
const o = Object.values(out.metafile.outputs)[0]
for (const [k, v] of Object.entries(o.inputs).sort((a,b)=>b[1].bytesInOutput-a[1].bytesInOutput)) console.log(v.bytesInOutput, k)
