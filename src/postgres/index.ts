// okflow/postgres — durable runs, leases and the run queue in PostgreSQL. Loads nothing at import
// time: `pg` (an optional peer dependency) is loaded only when a store is made from a URL.
export {
  type PostgresStore,
  type PostgresStoreOptions,
  postgresStore,
  type Queryable,
  type RunEvent,
} from './store.js'
