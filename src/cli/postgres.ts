// Loaded by the command line only for --postgres (a dynamic import), so `pg` and the Postgres
// store cost nothing to the other commands.
import { SCHEMA_NAME } from '../postgres/sql.js'
import { postgresStore } from '../postgres/store.js'
import { CliFailure, EXIT, fail, type OpenedStore } from './source.js'

const NO_TABLE = new Set(['3F000', '42P01']) // invalid_schema_name, undefined_table

/** A postgresStore on `url` in `schema`; reads only (it never migrates: a missing schema is NOT_FOUND). */
export function openPostgresStore(url: string, schema: string): OpenedStore {
  if (!SCHEMA_NAME.test(schema))
    fail(EXIT.USAGE, `--schema must be a name of letters, digits and underscores, not "${schema}"`)
  const store = postgresStore(url, { schema })
  return {
    store,
    explain(e) {
      const cause = (e as { cause?: { code?: unknown } } | null)?.cause
      const code = typeof cause?.code === 'string' ? cause.code : undefined
      if (code !== undefined && NO_TABLE.has(code)) {
        return new CliFailure(
          EXIT.NOT_FOUND,
          `no okflow store in schema "${schema}" of that database (store.migrate() creates it)`,
        )
      }
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
        return new CliFailure(EXIT.NOT_SUPPORTED, '--postgres needs the pg package: npm install pg')
      }
      return undefined
    },
    close: () => store.close(),
  }
}
