import { describe, expectTypeOf, it } from 'vitest'
import {
  type BatchProgress,
  consoleEvents,
  type PipelineOptions,
  type ProcessOptions,
  progressBar,
  renderHtmlReport,
  type WorkflowEvent,
  type WorkflowOptions,
} from '../../src/index.js'
import { otelEvents } from '../../src/otel/index.js'

describe('seeing-runs handlers fit where they go', () => {
  it('progressBar is an onProgress for processInBatches and pipeline, with finish()', () => {
    const bar = progressBar({ label: 'rows' })
    expectTypeOf(bar).toExtend<NonNullable<ProcessOptions['onProgress']>>()
    expectTypeOf(bar).toExtend<NonNullable<PipelineOptions['onProgress']>>()
    expectTypeOf(bar).parameter(0).toEqualTypeOf<BatchProgress>()
    expectTypeOf(bar.finish).toEqualTypeOf<() => void>()
    // @ts-expect-error: width is a number
    progressBar({ width: '10' })
  })

  it('consoleEvents and otelEvents are onEvent handlers', () => {
    expectTypeOf(consoleEvents()).toEqualTypeOf<(event: WorkflowEvent) => void>()
    expectTypeOf(consoleEvents()).toExtend<NonNullable<WorkflowOptions['onEvent']>>()
    expectTypeOf(otelEvents).parameter(0).toHaveProperty('tracer')
    expectTypeOf(otelEvents).returns.toEqualTypeOf<(event: WorkflowEvent) => void>()
    // @ts-expect-error: a tracer is required
    otelEvents({})
  })

  it('renderHtmlReport takes events and returns the page as a string', () => {
    expectTypeOf(renderHtmlReport).parameter(0).toEqualTypeOf<readonly WorkflowEvent[]>()
    expectTypeOf(renderHtmlReport([])).toEqualTypeOf<string>()
  })
})
