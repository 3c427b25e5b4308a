import { createRequire } from 'node:module'
import type { Piscina } from 'piscina'

let loaded: typeof Piscina | undefined

/**
 * piscina, loaded on first use. Worker threads import `okflow/worker` for `defineWorkerTasks`;
 * loading piscina there would cost every new thread ~20 ms for code it never runs.
 */
export function loadPiscina(): typeof Piscina {
  if (loaded === undefined) {
    // The CJS build turns import.meta.url into pathToFileURL(__filename).href, so this works in both.
    loaded = (createRequire(import.meta.url)('piscina') as { Piscina: typeof Piscina }).Piscina
  }
  return loaded
}
