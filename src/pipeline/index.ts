// Pipelines: stages joined by bounded buffers. Imports only types from ../worker, so `okflow`
// does not load the worker pool.
export { type ChunkError, type ChunkOptions, chunk } from './chunk.js'
export { pipeline } from './pipeline.js'
export type {
  ChunkStage,
  FnStage,
  Outputs,
  Pipeline,
  PipelineFailure,
  PipelineMetrics,
  PipelineMode,
  PipelineOptions,
  PipelineProgress,
  PipelineResult,
  PipelineRunError,
  PoolStage,
  RunPipelineOptions,
  SettledPipeline,
  StageContext,
  StageMetrics,
} from './types.js'
