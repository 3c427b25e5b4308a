/**
 * Values keyed by consecutive positions, taken back in position order: the reorder buffer of
 * ordered output (mapStream, pipeline stages). Live positions always span `[head, head + n)` for
 * a bounded `n` (the window), so a ring indexed by `position % capacity` never collides. It
 * starts small and doubles when a position falls outside it, so a huge `concurrency` allocates
 * only what is really in flight.
 */
export class ReorderRing<T> {
  private slots: (T | undefined)[]
  /** The next position to take. */
  head = 0

  constructor(initial = 16) {
    let cap = 1
    while (cap < initial) cap *= 2
    this.slots = new Array(cap).fill(undefined)
  }

  /** Stores the value of `position` (>= head). */
  put(position: number, value: T): void {
    while (position - this.head >= this.slots.length) this.grow()
    this.slots[position % this.slots.length] = value
  }

  /** The value at `head`, if it has arrived: removes it and moves on. */
  take(): T | undefined {
    const i = this.head % this.slots.length
    const v = this.slots[i]
    if (v === undefined) return undefined
    this.slots[i] = undefined
    this.head++
    return v
  }

  /** The value at `head` without taking it. */
  peek(): T | undefined {
    return this.slots[this.head % this.slots.length]
  }

  private grow(): void {
    const old = this.slots
    const cap = old.length * 2
    const slots: (T | undefined)[] = new Array(cap).fill(undefined)
    // `%`, not a bit mask: positions of a long stream pass 2 ** 31.
    for (let p = this.head; p < this.head + old.length; p++) slots[p % cap] = old[p % old.length]
    this.slots = slots
  }
}

/** A first-in first-out queue with O(1) `shift` (an array's shift copies once it grows large). */
export class Fifo<T> {
  private items: (T | undefined)[] = []
  private head = 0

  get length(): number {
    return this.items.length - this.head
  }

  push(value: T): void {
    this.items.push(value)
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined
    const v = this.items[this.head]
    this.items[this.head++] = undefined
    // Drop the consumed prefix now and then, so memory follows what is queued, not what passed.
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return v
  }
}
