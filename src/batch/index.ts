// Batch jobs and streams: processInBatches (a sliding window with checkpoints) and mapStream (a
// backpressured async iterator). The mechanisms they share with pipelines live in ../internal.

export type { Items } from '../internal/source.js'
export { type IndexedResult, type MapStreamError, type MapStreamItem, mapStream } from './map-stream.js'
export { processInBatches } from './process.js'
export type {
  BatchCheckpoint,
  BatchError,
  BatchMode,
  BatchProgress,
  BatchResult,
  BatchStats,
  CheckpointReturn,
  Collected,
  ItemContext,
  ItemErr,
  ItemError,
  ItemFn,
  ItemOk,
  ItemRetry,
  ItemReturn,
  MapStreamOptions,
  ProcessOptions,
  SettledBatch,
} from './types.js'
