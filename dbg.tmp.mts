import { ok } from 'neverthrow'
import { createWorkflow } from './src/index.ts'
const wf = createWorkflow({}, { onEvent: (e) => console.log(e.type, (e as any).name ?? '') })
const t = setTimeout(() => console.log('HUNG'), 2000)
const r = await wf(async (step) => step.all('g', [() => ok(1), () => ok(2)]))
console.log(r)
clearTimeout(t)
