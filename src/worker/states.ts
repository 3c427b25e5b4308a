// The two state machines of the pool, in one table. A *call* is one `pool.run` from submit to
// settle (dispatcher.ts); a *slot* is the Int32 a thread shares with the pool for each task it
// holds (thread.ts), so the pool knows without a message whether a task sent ahead has started.
//
// | machine | state     | meaning                                                    | next             |
// |---------|-----------|------------------------------------------------------------|------------------|
// | call    | QUEUED    | in the pool's queue                                        | AHEAD, RUNNING, SETTLED |
// | call    | AHEAD     | sent to a thread, behind an earlier task of that thread    | RUNNING, QUEUED (taken back), SETTLED |
// | call    | RUNNING   | the oldest unanswered task of its thread                   | QUEUED (taken back), SETTLED |
// | call    | SETTLED   | its caller has its Result; nothing of it is left           | —                |
// | slot    | SENT      | written by the pool: sent, not started                     | STARTED, CANCELLED |
// | slot    | STARTED   | written by the thread just before it calls the task        | ANSWERED         |
// | slot    | ANSWERED  | written by the thread just before it posts the answer      | SENT (reused)    |
// | slot    | CANCELLED | written by the pool (compare-and-swap from SENT): skip it  | SENT (reused)    |
//
// A call can be taken back from a thread (timeout or abort of another task there, a crash, an idle
// thread taking it over) only while its slot is SENT: the pool's SENT → CANCELLED swap wins or the
// thread's SENT → STARTED swap does, never both, so a task taken back never starts there.

export const QUEUED = 0
export const AHEAD = 1
export const RUNNING = 2
export const SETTLED = 3
export type CallState = typeof QUEUED | typeof AHEAD | typeof RUNNING | typeof SETTLED

export const SENT = 1
export const STARTED = 2
export const ANSWERED = 3
export const CANCELLED = 4
