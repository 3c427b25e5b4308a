/**
 * The SQL of postgresStore, one statement per store call: a `{ query }` pool may run each call
 * on a different connection, so nothing relies on a session or an explicit transaction. Every
 * write that needs the lease checks `fence` and `owner` in the same statement.
 *
 * `$1` of every statement is the clock (ms since the epoch) or null for the server's clock, so
 * lease expiry is judged by one clock (the database's) however many machines run workers.
 */

/** The schema version this code writes; `migrate` upgrades older ones and refuses newer. */
export const SCHEMA_VERSION = 2

const NOW = `coalesce($1::bigint, (extract(epoch from statement_timestamp()) * 1000)::bigint)`

/** A schema name used unquoted-safe: letters, digits, underscores. */
export const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

export function statements(schema: string) {
  const s = `"${schema}"`
  // json columns come back as text, parsed by the store: exact, whatever the driver does with json.
  const cols = (t = '') =>
    `${t}run_id, ${t}workflow, ${t}version, ${t}state, ${t}input::text AS input, ${t}idempotency_key, ${t}created_at, ${t}updated_at, ${t}claims, ${t}due_at, ${t}cancel_requested, ${t}reopen, ${t}owner, ${t}fence, ${t}lease_expires_at, ${t}error::text AS error, ${t}parent_id, ${t}woken`
  const runCols = cols()
  const event = (from: string, type: string, data = 'NULL') =>
    `INSERT INTO ${s}.events (run_id, type, at, data) SELECT run_id, ${type}, ${NOW}, ${data} FROM ${from}`
  // A wake-up (RunQueue.wake) of the runs `p` of an UPDATE: a sleeping one becomes due now, a
  // pending or running one gets woken. Only rows it changes are written (and locked): a parent
  // already woken or due is not rewritten by each of its children ending.
  const wakeSet = `due_at = CASE WHEN p.state = 'sleeping' THEN ${NOW} ELSE p.due_at END,
    woken = p.state <> 'sleeping', updated_at = CASE WHEN p.state = 'sleeping' THEN ${NOW} ELSE p.updated_at END`
  const wakeable = `((p.state = 'sleeping' AND p.due_at > ${NOW}) OR (p.state IN ('pending', 'running') AND NOT p.woken))`
  const ENDED = `('succeeded', 'failed', 'cancelled')`
  // A run of requestCancel's UPDATE that no worker holds and that waits to be claimed.
  const free = `(r.state IN ('pending', 'sleeping') AND (r.owner IS NULL OR r.lease_expires_at <= ${NOW}))`
  // … that has compensations to run, or changed (claimed, put to sleep) since the snapshot (x).
  const kept = `(x.undo OR r.state <> x.state OR r.claims <> x.claims)`
  return {
    /**
     * One query string, so the simple-query protocol runs it as one implicit transaction on one
     * connection: the advisory lock (per schema) serialises concurrent migrations, and a failure
     * rolls the whole upgrade back. Returns the schema version found afterwards.
     */
    migrate: `
SELECT pg_advisory_xact_lock(hashtext('okflow.migrate.' || '${schema}'));
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.runs (
  run_id text PRIMARY KEY,
  workflow text NOT NULL DEFAULT '',
  version integer NOT NULL DEFAULT 0,
  state text NOT NULL,
  input json NOT NULL DEFAULT 'null',
  idempotency_key text UNIQUE,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  claims integer NOT NULL DEFAULT 0,
  due_at bigint,
  cancel_requested boolean NOT NULL DEFAULT false,
  reopen boolean NOT NULL DEFAULT false,
  owner text,
  fence bigint NOT NULL DEFAULT 0,
  lease_expires_at bigint,
  error json
);
CREATE INDEX IF NOT EXISTS runs_claimable ON ${s}.runs (workflow, (coalesce(due_at, created_at)))
  WHERE state IN ('pending', 'sleeping', 'running');
CREATE INDEX IF NOT EXISTS runs_created ON ${s}.runs (created_at DESC, run_id DESC);
CREATE TABLE IF NOT EXISTS ${s}.steps (
  run_id text NOT NULL REFERENCES ${s}.runs (run_id) ON DELETE CASCADE,
  seq integer NOT NULL,
  pos bigserial,
  ok boolean NOT NULL,
  record json NOT NULL,
  written_at bigint NOT NULL,
  fence bigint NOT NULL,
  PRIMARY KEY (run_id, seq)
);
CREATE TABLE IF NOT EXISTS ${s}.events (
  id bigserial PRIMARY KEY,
  run_id text NOT NULL,
  type text NOT NULL,
  at bigint NOT NULL,
  data json
);
CREATE INDEX IF NOT EXISTS events_run ON ${s}.events (run_id, id);
-- Version 2 (durable primitives): child runs, wake-ups, emitted events. Checked first, so a
-- schema already at 2 takes no ACCESS EXCLUSIVE lock on runs at every start of a process.
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns
      WHERE table_schema = '${schema}' AND table_name = 'runs' AND column_name = 'woken') THEN
    ALTER TABLE ${s}.runs ADD COLUMN IF NOT EXISTS parent_id text,
      ADD COLUMN IF NOT EXISTS woken boolean NOT NULL DEFAULT false;
  END IF;
END $$;
CREATE INDEX IF NOT EXISTS runs_parent ON ${s}.runs (parent_id, run_id COLLATE "C") WHERE parent_id IS NOT NULL;
-- In claim order: a claim among thousands of pending children reads its LIMIT rows in order and
-- stops (with the index above on workflow only, every candidate was sorted at every claim).
CREATE INDEX IF NOT EXISTS runs_due ON ${s}.runs ((coalesce(due_at, created_at)), run_id)
  WHERE state IN ('pending', 'sleeping', 'running');
-- One row per event key: emitted (at, payload set) or only waited for so far (at null). The
-- waiters live in the key's row: an emit and a waiter's registration both write that row, so
-- the later of the two sees the other's (no wake-up lost between two snapshots).
CREATE TABLE IF NOT EXISTS ${s}.emitted_events (
  key text PRIMARY KEY,
  payload json,
  at bigint,
  waiters text[] NOT NULL DEFAULT '{}'
);
INSERT INTO ${s}.meta (key, value) VALUES ('schema_version', '${SCHEMA_VERSION}')
  ON CONFLICT (key) DO UPDATE SET value = greatest(${s}.meta.value::int, excluded.value::int)::text;
SELECT value::int AS version FROM ${s}.meta WHERE key = 'schema_version';`,

    // $2 run, $3 owner, $4 leaseMs. Inserts the run (a createWorkflow run has no registration)
    // or takes its lease when free, released or expired; no row back → a live holder has it.
    acquire: `
INSERT INTO ${s}.runs AS r (run_id, state, created_at, updated_at, owner, fence, lease_expires_at)
VALUES ($2, 'running', ${NOW}, ${NOW}, $3, 1, ${NOW} + $4)
ON CONFLICT (run_id) DO UPDATE SET owner = $3, fence = r.fence + 1, lease_expires_at = ${NOW} + $4, updated_at = ${NOW}
  WHERE r.owner IS NULL OR r.lease_expires_at <= ${NOW}
RETURNING fence, lease_expires_at`,

    // $2 run, $3 fence, $4 owner, $5 leaseMs
    renew: `
UPDATE ${s}.runs SET lease_expires_at = ${NOW} + $5
WHERE run_id = $2 AND fence = $3 AND owner = $4
RETURNING lease_expires_at`,

    // $2 run, $3 fence, $4 owner
    release: `
UPDATE ${s}.runs SET owner = NULL, lease_expires_at = NULL, updated_at = ${NOW}
WHERE run_id = $2 AND fence = $3 AND owner = $4`,

    // Statements that do not read the clock number their parameters from $1.
    // $1 run
    load: `SELECT record::text AS record FROM ${s}.steps WHERE run_id = $1 ORDER BY pos`,

    // $2 run, $3 fence, $4 owner, $5 seq[], $6 ok[], $7 record[]. FOR SHARE holds the run row
    // until the insert commits: a takeover (fence + 1) waits for it, and an insert that comes
    // after a takeover re-reads the row, finds another fence and inserts nothing.
    append: `
INSERT INTO ${s}.steps (run_id, seq, ok, record, written_at, fence)
SELECT r.run_id, x.seq, x.ok, x.record, ${NOW}, r.fence
FROM ${s}.runs r, unnest($5::int[], $6::boolean[], $7::json[]) AS x (seq, ok, record)
WHERE r.run_id = $2 AND r.fence = $3 AND r.owner = $4
FOR SHARE OF r`,

    // $2 run, $3 fence, $4 owner. Removes the outcome and every record from the first failed
    // step on (every record, when there are compensation markers: seq <= -2), and clears the
    // retry flag, only while the lease is held.
    reopen: `
WITH held AS (
  UPDATE ${s}.runs SET reopen = false, updated_at = ${NOW}
  WHERE run_id = $2 AND fence = $3 AND owner = $4 RETURNING run_id
), failed AS (
  SELECT min(seq) AS seq FROM ${s}.steps WHERE run_id = $2 AND seq >= 0 AND NOT ok
), gone AS (
  DELETE FROM ${s}.steps st USING held
  WHERE st.run_id = held.run_id AND (st.seq < 0 OR st.seq >= (SELECT seq FROM failed)
    OR EXISTS (SELECT 1 FROM ${s}.steps m WHERE m.run_id = $2 AND m.seq <= -2))
  RETURNING 1
), ev AS (${event('held', "'reopened'")})
SELECT count(*)::int AS held FROM held`,

    // $2 run, $3 workflow, $4 version, $5 input, $6 idempotencyKey, $7 parentId
    createRun: `
WITH ins AS (
  INSERT INTO ${s}.runs (run_id, workflow, version, state, input, idempotency_key, parent_id, created_at, updated_at)
  VALUES ($2, $3, $4, 'pending', $5::json, $6, $7, ${NOW}, ${NOW})
  ON CONFLICT DO NOTHING
  RETURNING ${runCols}
), ev AS (${event('ins', "'created'")})
SELECT * FROM ins`,

    // $1 run, $2 idempotencyKey: the run that kept a create from inserting (the key wins).
    existing: `
SELECT ${runCols} FROM ${s}.runs WHERE run_id = $1 OR idempotency_key = $2
ORDER BY (idempotency_key IS NOT DISTINCT FROM $2) DESC LIMIT 1`,

    // $1 run
    getRun: `SELECT ${runCols} FROM ${s}.runs WHERE run_id = $1`,

    // $1 workflow, $2 state, $3 limit
    listRuns: `
SELECT ${runCols} FROM ${s}.runs
WHERE ($1::text IS NULL OR workflow = $1) AND ($2::text IS NULL OR state = $2)
ORDER BY created_at DESC, run_id DESC
LIMIT $3`,

    // $2 workflows[], $3 owner, $4 leaseMs, $5 limit
    claim: `
WITH c AS (
  SELECT run_id FROM ${s}.runs
  WHERE workflow = ANY ($2::text[]) AND state IN ('pending', 'sleeping', 'running')
    AND (owner IS NULL OR lease_expires_at <= ${NOW})
    AND (state = 'running' OR coalesce(due_at, created_at) <= ${NOW})
  ORDER BY coalesce(due_at, created_at), run_id
  LIMIT $5
  FOR UPDATE SKIP LOCKED
), u AS (
  UPDATE ${s}.runs r SET owner = $3, fence = r.fence + 1, lease_expires_at = ${NOW} + $4, state = 'running',
    claims = r.claims + 1, due_at = NULL, woken = false, updated_at = ${NOW}
  FROM c WHERE r.run_id = c.run_id
  RETURNING ${cols('r.')}
), ev AS (${event('u', "'claimed'", "json_build_object('owner', owner, 'fence', fence)")})
SELECT * FROM u`,

    // $2 run, $3 fence, $4 owner, $5 state, $6 dueAt, $7 error (json). Any state but running
    // gives the lease up. A woken (or cancelled) run going to sleep is due at once; an end wakes the parent.
    setState: `
WITH u AS (
  UPDATE ${s}.runs SET state = $5::text, error = $7::json, updated_at = ${NOW},
    due_at = CASE WHEN $5::text = 'sleeping' AND (woken OR cancel_requested) THEN ${NOW} ELSE $6::bigint END,
    woken = CASE WHEN $5::text IN ('pending', 'running') THEN woken ELSE false END,
    owner = CASE WHEN $5::text = 'running' THEN owner END,
    lease_expires_at = CASE WHEN $5::text = 'running' THEN lease_expires_at END
  WHERE run_id = $2 AND fence = $3 AND owner = $4
  RETURNING run_id, state, parent_id
), ev AS (${event('u', 'state', '$7::json')}
), wk AS (
  UPDATE ${s}.runs p SET ${wakeSet}
  FROM u WHERE u.state IN ${ENDED} AND p.run_id = u.parent_id AND ${wakeable}
  RETURNING 1
)
SELECT count(*)::int AS held FROM u`,

    // $2 run. The run and its unfinished descendants (children, their children, through ended
    // ones too): a pending or sleeping run nobody holds ends at once; a held one is flagged. One
    // with compensations to run (an ok record marked undo, no outcome) is flagged and made due now
    // instead (a worker replays it to the cancel and compensates); so is one whose row changed
    // since this statement's snapshot (its journal as read here may be missing a record). The
    // parent of one that ended at once (outside the tree: the run's own parent) is woken.
    requestCancel: `
WITH RECURSIVE tree AS (
  SELECT run_id, state, claims FROM ${s}.runs WHERE run_id = $2
  UNION
  SELECT c.run_id, c.state, c.claims FROM ${s}.runs c JOIN tree ON c.parent_id = tree.run_id
), undo AS (
  SELECT DISTINCT st.run_id FROM ${s}.steps st JOIN tree ON st.run_id = tree.run_id
  WHERE st.seq >= 0 AND st.ok AND st.record->>'undo' = 'true'
    AND NOT EXISTS (SELECT 1 FROM ${s}.steps o WHERE o.run_id = st.run_id AND o.seq = -1)
), x AS (
  SELECT tree.*, undo.run_id IS NOT NULL AS undo FROM tree LEFT JOIN undo ON undo.run_id = tree.run_id
), u AS (
  UPDATE ${s}.runs r SET cancel_requested = true, updated_at = ${NOW},
    state = CASE WHEN ${free} AND NOT ${kept} THEN 'cancelled' ELSE r.state END,
    due_at = CASE WHEN ${free} AND ${kept} THEN ${NOW} ELSE r.due_at END,
    woken = r.woken AND NOT ${free}
  FROM x WHERE r.run_id = x.run_id AND r.state IN ('pending', 'sleeping', 'running')
  RETURNING ${cols('r.')}
), ev AS (${event('u', "'cancel requested'")}
), wk AS (
  UPDATE ${s}.runs p SET ${wakeSet}
  FROM u WHERE u.state = 'cancelled' AND p.run_id = u.parent_id AND ${wakeable}
    AND NOT EXISTS (SELECT 1 FROM tree WHERE tree.run_id = p.run_id)
  RETURNING 1
)
SELECT * FROM u WHERE run_id = $2`,

    // $2 run
    requeue: `
WITH u AS (
  UPDATE ${s}.runs SET state = 'pending', due_at = NULL, error = NULL, cancel_requested = false, reopen = true,
    woken = false, updated_at = ${NOW}
  WHERE run_id = $2 AND state IN ('failed', 'cancelled')
  RETURNING ${runCols}
), ev AS (${event('u', "'requeued'")})
SELECT * FROM u`,

    // $1 run
    events: `SELECT type, at, data::text AS data FROM ${s}.events WHERE run_id = $1 ORDER BY id`,

    // --- Durable primitives (issue 19) ---

    // $2 runId[], $3 workflow[], $4 version[], $5 input[] (json), $6 parentId[]: every child in
    // one statement; an existing runId is left as it is (a replay re-creates none).
    createRuns: `
WITH ins AS (
  INSERT INTO ${s}.runs (run_id, workflow, version, state, input, parent_id, created_at, updated_at)
  SELECT x.run_id, x.workflow, x.version, 'pending', x.input, x.parent_id, ${NOW}, ${NOW}
  FROM unnest($2::text[], $3::text[], $4::int[], $5::json[], $6::text[]) AS x (run_id, workflow, version, input, parent_id)
  ON CONFLICT DO NOTHING
  RETURNING run_id
), ev AS (${event('ins', "'created'")})
SELECT count(*)::int AS created FROM ins`,

    // $1 parent, $2 prefix (or null), $3 outcomes. Ordered by code point (C collation), as the
    // in-memory stores order; the outcome is the seq -1 record only (seq <= -2: compensation).
    listChildren: `
SELECT r.run_id, r.state, r.updated_at, st.record::text AS outcome
FROM ${s}.runs r
LEFT JOIN ${s}.steps st ON $3::boolean AND r.state IN ${ENDED} AND st.run_id = r.run_id AND st.seq = -1
WHERE r.parent_id = $1 AND ($2::text IS NULL OR (r.run_id COLLATE "C" >= $2::text AND r.run_id COLLATE "C" < $2::text || chr(1114111)))
ORDER BY r.run_id COLLATE "C"`,

    // $2 run
    wake: `UPDATE ${s}.runs p SET ${wakeSet} WHERE p.run_id = $2 AND ${wakeable}`,

    // $2 key, $3 payload (json). The first emit sets the key's row (a row made by a waiter has
    // no \`at\` yet); it returns the row's waiters, latest version (ON CONFLICT reads it under
    // the row lock), who are woken in the same statement.
    emit: `
WITH e AS (
  INSERT INTO ${s}.emitted_events AS e (key, payload, at) VALUES ($2, $3::json, ${NOW})
  ON CONFLICT (key) DO UPDATE SET payload = excluded.payload, at = excluded.at WHERE e.at IS NULL
  RETURNING waiters
), wk AS (
  UPDATE ${s}.runs p SET ${wakeSet}
  FROM (SELECT DISTINCT unnest(waiters) AS run_id FROM e) w
  WHERE p.run_id = w.run_id AND ${wakeable}
  RETURNING 1
)
SELECT count(*)::int AS won FROM e`,

    // $1 key, $2 waiter: registers the waiter in the key's row (unless the event is there) and
    // reads that row, both under its row lock: an emit either came first (and is read here) or
    // comes after (and finds the waiter).
    waitEvent: `
INSERT INTO ${s}.emitted_events AS e (key, waiters) VALUES ($1, ARRAY[$2::text])
ON CONFLICT (key) DO UPDATE SET waiters =
  CASE WHEN e.at IS NOT NULL OR $2::text = ANY (e.waiters) THEN e.waiters ELSE e.waiters || $2::text END
RETURNING payload::text AS payload, at`,

    // $1 key
    getEvent: `SELECT payload::text AS payload, at FROM ${s}.emitted_events WHERE key = $1 AND at IS NOT NULL`,
  }
}

export type Statements = ReturnType<typeof statements>
