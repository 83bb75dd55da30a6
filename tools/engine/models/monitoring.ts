import { TypeModel } from "../model";

/** Models of the monitoring resources beyond the core ones. */
export const MONITORING_MODELS: Record<string, TypeModel> = {};
