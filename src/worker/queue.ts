/** A node of an intrusive queue: the job itself carries its links, so removal is O(1). */
export interface Linked<T extends Linked<T>> {
  prev: T | undefined
  next: T | undefined
}

/**
 * A FIFO queue whose items can also leave from the middle in O(1) (a queued task that times
 * out or is aborted), so bookkeeping stays constant per task however long the queue grows.
 */
export class LinkedQueue<T extends Linked<T>> {
  private head: T | undefined
  private tail: T | undefined
  size = 0

  push(item: T): void {
    item.prev = this.tail
    item.next = undefined
    if (this.tail) this.tail.next = item
    else this.head = item
    this.tail = item
    this.size++
  }

  /** Puts an item back at the front (a task that must run next). */
  unshift(item: T): void {
    item.prev = undefined
    item.next = this.head
    if (this.head) this.head.prev = item
    else this.tail = item
    this.head = item
    this.size++
  }

  first(): T | undefined {
    return this.head
  }

  shift(): T | undefined {
    const item = this.head
    if (item) this.remove(item)
    return item
  }

  remove(item: T): void {
    if (item.prev) item.prev.next = item.next
    else this.head = item.next
    if (item.next) item.next.prev = item.prev
    else this.tail = item.prev
    item.prev = undefined
    item.next = undefined
    this.size--
  }
}
