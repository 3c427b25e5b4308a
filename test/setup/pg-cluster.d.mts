/** A throw-away PostgreSQL cluster (see pg-cluster.mjs). */
export interface Cluster {
  readonly url: string
  readonly port: number
  readonly dataDir: string
  readonly binDir: string
  readonly pgCtl: string
  start(): void
  stop(mode?: 'smart' | 'fast' | 'immediate'): void
  destroy(): void
}
export function pgBinDir(): string | undefined
export function freePort(): Promise<number>
export function startCluster(opts?: { log?: boolean }): Promise<Cluster>
