import { describe, expect, it } from 'vitest'
import { builtHash, sourceHash } from '../../scripts/build.mjs'

describe('test set-up', () => {
  it('runs every test against a dist/ built from the current src/', () => {
    // The global set-up rebuilt dist/ if src/ changed since the last build: the stamp it wrote
    // is the hash of the sources on disk right now.
    expect(builtHash()).toBe(sourceHash())
  })
})
