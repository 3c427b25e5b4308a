import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { err, mapStream, ok, processInBatches } from '../../src/index.js'
import { fields } from '../helpers.js'

const ticks = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r))
}
const spec = fc.array(fc.record({ wait: fc.integer({ min: 0, max: 3 }), fail: fc.boolean() }), { maxLength: 40 })

describe('batch properties (fast-check)', () => {
  it('processInBatches settle: bounded window, ordered checkpoints, every item accounted for', async () => {
    await fc.assert(
      fc.asyncProperty(
        spec,
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 5 }),
        async (items, concurrency, batchSize) => {
          let pulled = 0
          let completed = 0
          let maxAhead = 0
          let running = 0
          let maxRunning = 0
          const finished = new Set<number>()
          const checkpoints: number[] = []
          async function* source() {
            for (const item of items) {
              await Promise.resolve()
              pulled++
              maxAhead = Math.max(maxAhead, pulled - completed)
              yield item
            }
          }
          const r = await processInBatches(
            source(),
            async (item, index) => {
              running++
              maxRunning = Math.max(maxRunning, running)
              await ticks(item.wait)
              running--
              completed++
              finished.add(index)
              return item.fail ? err(index) : ok(index)
            },
            {
              concurrency,
              batchSize,
              mode: 'settle',
              afterBatch: ({ batch }) => {
                const upTo = Math.min(items.length, (batch + 1) * batchSize)
                for (let i = 0; i < upTo; i++) if (!finished.has(i)) throw new Error(`checkpoint ${batch} too early`)
                checkpoints.push(batch)
              },
            },
          )
          const { values, errors, stats } = r._unsafeUnwrap()
          const idx = items.map((_, i) => i)
          expect(values).toEqual(idx.filter((i) => !items[i]?.fail))
          expect(fields(errors)).toEqual(idx.filter((i) => items[i]?.fail).map((i) => ({ index: i, error: i })))
          expect(stats.total).toBe(items.length)
          expect(maxRunning).toBeLessThanOrEqual(concurrency)
          expect(maxAhead).toBeLessThanOrEqual(concurrency)
          expect(checkpoints).toEqual(Array.from({ length: Math.ceil(items.length / batchSize) }, (_, b) => b))
        },
      ),
      { numRuns: 60 },
    )
  })

  it('mapStream: input order, every item once, never more than `concurrency` ahead of the consumer', async () => {
    await fc.assert(
      fc.asyncProperty(spec, fc.integer({ min: 1, max: 6 }), fc.boolean(), async (items, concurrency, ordered) => {
        let pulled = 0
        let consumed = 0
        let maxAhead = 0
        async function* source() {
          for (const item of items) {
            await Promise.resolve()
            pulled++
            maxAhead = Math.max(maxAhead, pulled - consumed)
            yield item
          }
        }
        const seen: number[] = []
        for await (const r of mapStream(
          source(),
          async (item, index) => {
            await ticks(item.wait)
            return item.fail ? err(index) : ok(index)
          },
          { concurrency, ordered },
        )) {
          consumed++
          seen.push(r.isOk() ? r.value : (r.error as number))
        }
        const idx = items.map((_, i) => i)
        expect(ordered ? seen : [...seen].sort((a, b) => a - b)).toEqual(idx)
        // `concurrency` ahead of what was handed over; +1: the result the loop body holds (its
        // slot went back at hand-over, so the next item runs meanwhile).
        expect(maxAhead).toBeLessThanOrEqual(concurrency + 1)
      }),
      { numRuns: 60 },
    )
  })
})
