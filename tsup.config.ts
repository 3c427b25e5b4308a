import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    worker: 'src/worker/index.ts',
    thread: 'src/worker/thread.ts',
    otel: 'src/otel/index.ts',
    cli: 'src/cli/main.ts',
    postgres: 'src/postgres/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  target: 'node20',
  platform: 'node',
  clean: true,
  sourcemap: true,
  splitting: true,
  treeshake: true,
  external: ['neverthrow', '@opentelemetry/api'],
})
