/** A summary of durations in ms (the pool's run and wait times), as `metrics()` reports it. */
export interface DurationSummary {
  /** How many durations were recorded. */
  readonly count: number
  /** Their mean, exact. */
  readonly mean: number
  /** The median, within ~5 % (log-scale buckets). */
  readonly p50: number
  /** The 99th percentile, within ~5 %. */
  readonly p99: number
  /** The longest, exact. */
  readonly max: number
}

// 8 buckets per power of two of microseconds: ±4.4 % around each bucket's geometric middle, in a
// fixed 2.7 KB whatever the number of samples (a pool may run for months).
const PER_OCTAVE = 8
const BUCKETS = 42 * PER_OCTAVE + 2

/** A fixed-size log-scale histogram of durations in ms. */
export class DurationHistogram {
  private readonly counts = new Float64Array(BUCKETS)
  private count = 0
  private sum = 0
  private max = 0

  record(ms: number): void {
    if (!(ms >= 0)) return
    const us = ms * 1000
    const i = us < 1 ? 0 : Math.min(BUCKETS - 1, 1 + Math.floor(Math.log2(us) * PER_OCTAVE))
    this.counts[i] = (this.counts[i] as number) + 1
    this.count++
    this.sum += ms
    if (ms > this.max) this.max = ms
  }

  /** The value under which a fraction `q` of the durations lie, at its bucket's middle. */
  private quantile(q: number): number {
    if (this.count === 0) return 0
    const rank = Math.max(1, Math.ceil(q * this.count))
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] as number
      if (seen >= rank) {
        const middle = i === 0 ? 0.0005 : 2 ** ((i - 0.5) / PER_OCTAVE) / 1000
        return Math.min(middle, this.max)
      }
    }
    return this.max
  }

  summary(): DurationSummary {
    return {
      count: this.count,
      mean: this.count === 0 ? 0 : this.sum / this.count,
      p50: this.quantile(0.5),
      p99: this.quantile(0.99),
      max: this.max,
    }
  }
}
