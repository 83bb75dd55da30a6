import { z } from "zod";
import type { TenantQueries } from "./db";
import { HttpError } from "./errors";

/**
 * The notes API on the table migrations/tenant/V1 and V2 create in every tenant schema. No query names a
 * tenant: the schema is the one of the role the transaction runs as (TenantQueries.schema, the validated and
 * quoted `tenant_<id>`), every value is a bind parameter, and what a tenant can touch is decided by PostgreSQL's
 * privileges on that role, not by a WHERE clause.
 */

/** The database's CHECK constraints (V1: body 1–10000 characters, V2: title 1–200); the service checks first. */
export const MAX_BODY_CHARS = 10_000;
export const MAX_TITLE_CHARS = 200;
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** PostgreSQL `text` cannot hold U+0000; refusing it here turns a 500 into a clear 400. */
const NO_NUL = (s: string) => !s.includes("\u0000");
/** A positive bigint (GENERATED ALWAYS AS IDENTITY starts at 1), as a decimal string without sign or zeros. */
const ID = /^[1-9][0-9]{0,18}$/;
const MAX_BIGINT = 9223372036854775807n;

export const NewNote = z.strictObject({
  title: z
    .string()
    .min(1)
    .max(MAX_TITLE_CHARS)
    .refine(NO_NUL, { message: "must not contain U+0000" })
    .nullable()
    .optional(),
  body: z.string().min(1).max(MAX_BODY_CHARS).refine(NO_NUL, { message: "must not contain U+0000" }),
});

export const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  before: z.string().refine(isNoteId, { message: "must be a note id" }).optional(),
});

export interface Note {
  readonly id: string;
  readonly title: string | null;
  readonly body: string;
  readonly createdAt: string;
}

interface NoteRow {
  id: string;
  title: string | null;
  body: string;
  created_at: Date;
}

const COLUMNS = "id::text AS id, title, body, created_at";

export function isNoteId(raw: string): boolean {
  return ID.test(raw) && BigInt(raw) <= MAX_BIGINT;
}

/** `:id` of /api/notes/:id; anything but a note id is a 400 naming the value's problem (not the value). */
export function parseNoteId(raw: string): string {
  if (!isNoteId(raw)) {
    throw new HttpError(400, "invalid_id", "the note id must be a positive integer below 2^63");
  }
  return raw;
}

export function validationError(where: "body" | "query", error: z.ZodError): HttpError {
  const issues = error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
  const err = new HttpError(400, "validation_failed", `the request ${where} is not valid`);
  return Object.assign(err, { details: issues });
}

function toNote(row: NoteRow): Note {
  return { id: row.id, title: row.title, body: row.body, createdAt: row.created_at.toISOString() };
}

/** Newest first. Ids are identity values, so id order is insertion order and `before` is a keyset cursor. */
export async function listNotes(
  q: TenantQueries,
  query: z.infer<typeof ListQuery>,
): Promise<{ notes: Note[]; nextBefore: string | null }> {
  const rows = await q.query<NoteRow>(
    `SELECT ${COLUMNS} FROM ${q.schema}.notes WHERE ($1::bigint IS NULL OR id < $1::bigint) ORDER BY id DESC LIMIT $2`,
    [query.before ?? null, query.limit],
  );
  const notes = rows.map(toNote);
  return { notes, nextBefore: notes.length === query.limit ? notes[notes.length - 1].id : null };
}

export async function createNote(q: TenantQueries, input: z.infer<typeof NewNote>): Promise<Note> {
  const rows = await q.query<NoteRow>(
    `INSERT INTO ${q.schema}.notes (title, body) VALUES ($1, $2) RETURNING ${COLUMNS}`,
    [input.title ?? null, input.body],
  );
  return toNote(rows[0]);
}

export async function getNote(q: TenantQueries, id: string): Promise<Note | undefined> {
  const rows = await q.query<NoteRow>(`SELECT ${COLUMNS} FROM ${q.schema}.notes WHERE id = $1::bigint`, [id]);
  return rows.length === 0 ? undefined : toNote(rows[0]);
}

export async function deleteNote(q: TenantQueries, id: string): Promise<boolean> {
  const rows = await q.query(`DELETE FROM ${q.schema}.notes WHERE id = $1::bigint RETURNING id`, [id]);
  return rows.length === 1;
}
