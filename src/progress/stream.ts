/** Where progress bars and event logs write: `process.stderr`, `process.stdout`, or anything with `write`. */
export interface TextStream {
  write(text: string): unknown
  /** True for a terminal: a bar redraws one line in place; otherwise plain lines are printed. */
  readonly isTTY?: boolean | undefined
  /** Terminal width, to fit the bar. */
  readonly columns?: number | undefined
}

/** The default stream: stderr, so piped stdout stays clean data. */
export const stderr = (): TextStream => process.stderr

/** Writes, ignoring a failing stream (a closed pipe must not stop the work being reported). */
export function safeWrite(stream: TextStream, text: string): void {
  try {
    stream.write(text)
  } catch {}
}
