import { z } from "zod";
import { ConfigKey, ConfigProblem, RawValues, integer } from "./common";

/** Configuration of the container service. */

export const SERVICE_KEYS: readonly ConfigKey[] = [
  {
    key: "servicePort",
    type: "integer",
    default: 8080,
    description: "Port the service container listens on; the load balancer and app security groups allow only it.",
  },
  {
    key: "serviceCpu",
    type: "integer",
    default: 256,
    description: "Fargate task CPU units (1024 = 1 vCPU).",
  },
  {
    key: "serviceMemory",
    type: "integer",
    default: 512,
    description: "Fargate task memory in MiB.",
  },
  {
    key: "serviceDesiredCount",
    type: "integer",
    default: 1,
    description: "Tasks the service runs when not scaled.",
  },
];

export const serviceShape = {
  servicePort: integer(1024, 65535, "an unprivileged port from 1024 to 65535"),
  serviceCpu: integer(256, 16384),
  serviceMemory: integer(512, 122880),
  serviceDesiredCount: integer(0, 100),
};

export interface ServiceConfig {
  readonly port: number;
  readonly cpu: number;
  readonly memory: number;
  readonly desiredCount: number;
}

/** Rules between service keys (and keys of other areas), run on the coerced values. */
export function serviceProblems(_values: RawValues): ConfigProblem[] {
  return [];
}

export function toServiceConfig(saas: z.output<z.ZodObject<typeof serviceShape>>): ServiceConfig {
  return {
    port: saas.servicePort,
    cpu: saas.serviceCpu,
    memory: saas.serviceMemory,
    desiredCount: saas.serviceDesiredCount,
  };
}
