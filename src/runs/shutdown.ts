/** Options of `shutdownSignal`. */
export interface ShutdownSignalOptions {
  /** The process signals that ask for a graceful stop. Default `['SIGTERM', 'SIGINT']`. */
  readonly signals?: readonly NodeJS.Signals[]
}

/**
 * An AbortSignal that aborts on the first SIGTERM or SIGINT (for `createWorker({ signal })`,
 * batch jobs, scripts): the process then shuts down gracefully instead of dying at once. Its
 * listeners are removed when the first signal arrives, so a second Ctrl-C kills the process
 * the usual way (a way out of a drain that takes too long).
 *
 * @example
 * const worker = createWorker(store, [checkout], { signal: shutdownSignal() })
 */
export function shutdownSignal(options: ShutdownSignalOptions = {}): AbortSignal {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT']
  const controller = new AbortController()
  const onSignal = (sig: NodeJS.Signals) => {
    for (const s of signals) process.off(s, onSignal)
    controller.abort(new Error(`received ${sig}`))
  }
  for (const s of signals) process.on(s, onSignal)
  return controller.signal
}
