// Vitest global set-up: tests that import dist/ (worker pools, pool stages, offload steps,
// examples, the package checks) must test the current src/. Builds when dist/ was not built
// from exactly the sources on disk, so `npx vitest run` can never pass against a stale build.
import { buildIfStale } from '../../scripts/build.mjs'

export default function setup(): void {
  buildIfStale({ silent: true })
}
