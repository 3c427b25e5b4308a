// Vitest global set-up: a real PostgreSQL for the tests (no mock stands in for it). Uses
// OKFLOW_TEST_PG_URL when set; otherwise starts a throw-away cluster (test/setup/pg-cluster.mjs)
// and removes it when the run ends. Tests read the URL with `inject('pgUrl')`; each test file
// works in its own schema, so files can run in parallel on one server.
import type { TestProject } from 'vitest/node'
import { startCluster } from './pg-cluster.mjs'

declare module 'vitest' {
  export interface ProvidedContext {
    /** A connection URL of a server the tests may use (create schemas, tables). */
    pgUrl: string
    /** The throw-away cluster's data dir, '' when OKFLOW_TEST_PG_URL names an outside server. */
    pgDataDir: string
    /** Where initdb / pg_ctl are, '' when unknown: crash tests start their own cluster from them. */
    pgBinDir: string
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const outside = process.env.OKFLOW_TEST_PG_URL
  if (outside) {
    project.provide('pgUrl', outside)
    project.provide('pgDataDir', '')
    project.provide('pgBinDir', '')
    return () => {}
  }
  const cluster = await startCluster()
  project.provide('pgUrl', cluster.url)
  project.provide('pgDataDir', cluster.dataDir)
  project.provide('pgBinDir', cluster.binDir)
  return () => cluster.destroy()
}
