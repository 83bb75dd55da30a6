-- V2: an optional title. Expand only: old service code neither reads nor writes it and keeps working; rows
-- already in place get NULL (no default, so no table rewrite). A later version may make it required only
-- after every running service writes it (contract step, see README.md).
SET LOCAL lock_timeout = '5s';

ALTER TABLE notes ADD COLUMN title text;

-- NOT VALID: existing rows (all NULL titles) are not re-checked under the ACCESS EXCLUSIVE lock; new and
-- updated rows are checked at once. The VALIDATE that follows only scans, and the rows it could reject do
-- not exist (every title is NULL), so it cannot fail; it records the constraint as validated.
ALTER TABLE notes ADD CONSTRAINT notes_title_length CHECK (char_length(title) BETWEEN 1 AND 200) NOT VALID;
ALTER TABLE notes VALIDATE CONSTRAINT notes_title_length;
