import { okAsync } from 'neverthrow'
const { createWorkflow } = await import(process.argv[2])
const deps = { call: (i) => okAsync(i) }
const plain = createWorkflow(deps, { name: 'bench' })
const body = async (step, d) => { let sum = 0; for (let i = 0; i < 1000; i++) sum += await step(() => d.call(i)); return sum }
for (let i = 0; i < 200; i++) await plain(body)
const t0 = process.cpuUsage(); let n = 0
while ((process.cpuUsage(t0).user) < 300_000) { await plain(body); n++ }
console.log((process.cpuUsage(t0).user / 1000 / n).toFixed(3), 'ms/run')
