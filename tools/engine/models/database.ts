import { TypeModel } from "../model";

/** Models of the database resources beyond the core ones. */
export const DATABASE_MODELS: Record<string, TypeModel> = {};
