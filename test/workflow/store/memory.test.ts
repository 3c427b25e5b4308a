import { memoryStore } from '../../../src/index.js'
import { describeStoreConformance } from './conformance.js'

describeStoreConformance('memoryStore', async (clock) => ({
  store: memoryStore({ now: clock.now }),
  cleanup: async () => {},
}))
