import { err, ok, type Result } from 'neverthrow'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { partition } from '../../src/index.js'

describe('partition', () => {
  it('splits values and errors, each in input order', () => {
    const rs: Result<number, string>[] = [ok(1), err('a'), ok(2), err('b')]
    const [values, errors] = partition(rs)
    expect(values).toEqual([1, 2])
    expect(errors).toEqual(['a', 'b'])
    expectTypeOf(values).toEqualTypeOf<number[]>()
    expectTypeOf(errors).toEqualTypeOf<string[]>()
  })
  it('handles empty input', () => {
    expect(partition([])).toEqual([[], []])
  })
})

describe('partition with garbage input', () => {
  it('throws a TypeError naming what is wrong', () => {
    for (const bad of [undefined, null, 5, {}])
      expect(() => partition(bad as never)).toThrow(/partition: results must be an iterable/)
    expect(() => partition([ok(1), 5] as never)).toThrow(/results\[1\] is not a Result/)
  })
})
