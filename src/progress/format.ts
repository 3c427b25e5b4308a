/** Items per second for people: `0.5/s`, `42/s`, `12,345/s`. */
export function formatRate(perSec: number): string {
  if (!Number.isFinite(perSec) || perSec <= 0) return '0/s'
  if (perSec < 10) return `${perSec.toFixed(1)}/s`
  return `${Math.round(perSec).toLocaleString('en-US')}/s`
}

/** A time left for people: `3s`, `4m 05s`, `2h 07m`. */
export function formatEta(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`
}
