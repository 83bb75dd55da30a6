-- V1: the tables the reference service serves (GET/POST /api/notes, GET/DELETE /api/notes/:id).
-- Flyway runs this once per tenant schema, as migrator, with search_path set to that schema: every name
-- below is unqualified on purpose (see README.md). The tenant role's grants come from the default
-- privileges the provisioner set on the schema, so nothing here grants anything.

-- Wait at most 5 s for a lock: behind a long transaction, a DDL lock queue would stall every request of the
-- tenant. Failing is safe; the run is retried.
SET LOCAL lock_timeout = '5s';

CREATE TABLE notes (
    -- GENERATED ALWAYS: ids come from the database only; a client cannot pick (or guess into) an id.
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The service's own limit must stay at or below this bound; the database is the last line.
    body       text        NOT NULL CONSTRAINT notes_body_length CHECK (char_length(body) BETWEEN 1 AND 10000),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Newest first with keyset pagination: ORDER BY created_at DESC, id DESC (a B-tree scans either way).
CREATE INDEX notes_created_at_id_idx ON notes (created_at, id);

COMMENT ON TABLE notes IS 'A tenant''s notes; one table per tenant schema, no tenant column (the schema is the tenant).';
