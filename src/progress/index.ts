export { type ProgressBar, type ProgressBarOptions, progressBar } from './bar.js'
export { type ConsoleEventsOptions, consoleEvents } from './console.js'
export type { TextStream } from './stream.js'
