import { TypeModel } from "../model";
import { CORE_MODELS } from "./core";
import { CONTAINER_MODELS } from "./container";
import { DATABASE_MODELS } from "./database";
import { MONITORING_MODELS } from "./monitoring";
import { TENANT_MODELS } from "./tenants";

/** Every resource type the offline engine models; anything else gets a generic id and ARN. */
export const MODELS: Readonly<Record<string, TypeModel>> = {
  ...CORE_MODELS,
  ...CONTAINER_MODELS,
  ...DATABASE_MODELS,
  ...MONITORING_MODELS,
  ...TENANT_MODELS,
};
