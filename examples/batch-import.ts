// Imports a generated CSV-like stream of 50,000 lines with processInBatches: lazy reading,
// bounded concurrency, throttled progress and an ordered checkpoint log. Bad rows are kept as
// errors (settle mode) instead of stopping the import. Run: npx tsup && npx tsx examples/batch-import.ts
import { err, ok, processInBatches, type Result } from 'okflow'

const ROWS = 50_000

/** Stands in for a file or a database cursor: yields one line at a time. */
async function* readLines(): AsyncGenerator<string> {
  yield 'id,email,amount'
  for (let i = 1; i <= ROWS; i++) yield i % 10_000 === 0 ? `${i},broken` : `${i},user${i}@example.com,${i % 100}`
}

interface Row {
  id: number
  email: string
  amount: number
}
class BadRowError extends Error {
  readonly _tag = 'BadRowError' as const
}

function parse(line: string): Result<Row, BadRowError> {
  const [id, email, amount] = line.split(',')
  if (id === undefined || email === undefined || amount === undefined) return err(new BadRowError(`bad row: ${line}`))
  return ok({ id: Number(id), email, amount: Number(amount) })
}

let saved = 0
/** Stands in for a database write. */
async function save(row: Row, signal: AbortSignal): Promise<Result<number, BadRowError>> {
  await Promise.resolve()
  if (signal.aborted) return err(new BadRowError('aborted'))
  saved++
  return ok(row.amount)
}

async function* dataLines(): AsyncGenerator<string> {
  let header = true
  for await (const line of readLines()) {
    if (header) header = false
    else yield line
  }
}

const result = await processInBatches(
  dataLines(),
  async (line, _index, { signal }) => {
    const row = parse(line)
    return row.isErr() ? row : save(row.value, signal)
  },
  {
    concurrency: 32,
    batchSize: 10_000,
    mode: 'settle',
    collect: false,
    total: ROWS,
    progressIntervalMs: 50,
    onProgress: ({ done, total, ratePerSec }) =>
      console.log(`progress ${done}/${total} (${Math.round(ratePerSec)} rows/s)`),
    afterBatch: ({ batch, done }) => console.log(`checkpoint batch=${batch} done=${done}`),
  },
)

if (result.isErr()) {
  console.error(`import failed: ${result.error.message}`)
  process.exit(1)
}
const { errors, stats } = result.value
for (const e of errors) console.log(`row ${e.index + 1}: ${e.error.message}`)
console.log(
  `imported ${stats.succeeded} rows, ${stats.failed} failed, saved ${saved}, in ${Math.round(stats.durationMs)} ms`,
)
