import { TypeModel } from "../model";

/** Models of the container resources beyond the core ones. */
export const CONTAINER_MODELS: Record<string, TypeModel> = {};
