import { z } from "zod";
import { ConfigKey, ConfigProblem, RawValues } from "./common";

/** Configuration of the database and the tenants. */

export const DATABASE_KEYS: readonly ConfigKey[] = [
  {
    key: "tenants",
    type: "array",
    default: [],
    description: "Tenants, each `{ id, displayName? }`; each gets its own PostgreSQL schema and role.",
  },
];

const tenant = z.object(
  {
    id: z.string({ error: "expected a string" }),
    displayName: z.string({ error: "expected a string" }).optional(),
  },
  { error: "expected an object { id, displayName? }" },
);

export const databaseShape = {
  tenants: z.array(tenant, { error: "expected a list of tenants" }),
};

export interface DatabaseConfig {
  readonly tenants: readonly { readonly id: string; readonly displayName?: string }[];
}

/** Rules between database keys (and keys of other areas), run on the coerced values. */
export function databaseProblems(_values: RawValues): ConfigProblem[] {
  return [];
}

export function toDatabaseConfig(saas: z.output<z.ZodObject<typeof databaseShape>>): DatabaseConfig {
  return { tenants: saas.tenants };
}
