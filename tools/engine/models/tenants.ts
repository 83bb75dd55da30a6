import { TypeModel, str } from "../model";

/**
 * Models of the tenant plane's Lambda resources. A function is known by its name; an Invocation's id is
 * `<function>_<qualifier>_<md5 of the result>` (terraform-provider-aws). Offline nothing is invoked, so the
 * result says so instead of inventing a report; the plan prints the input the function would receive.
 */
export const OFFLINE_INVOCATION_RESULT = {
  action: "offline",
  note: "not invoked: the offline plan shows the input the function would receive; the report comes from pulumi up",
};

export const TENANT_MODELS: Record<string, TypeModel> = {
  "aws:lambda/function:Function": {
    id: (ctx) => str(ctx.inputs.name),
    autoname: { property: "name", maxLength: 64 },
    state: (ctx) => {
      const arn = ctx.arn("lambda", `function:${str(ctx.inputs.name)}`);
      return {
        arn,
        qualifiedArn: `${arn}:$LATEST`,
        invokeArn: `arn:aws:apigateway:${ctx.region}:lambda:path/2015-03-31/functions/${arn}/invocations`,
        version: "$LATEST",
        lastModified: "2026-01-01T00:00:00.000+0000",
      };
    },
  },
  "aws:lambda/invocation:Invocation": {
    id: (ctx) => `${str(ctx.inputs.functionName)}_$LATEST_${ctx.hex(32)}`,
    state: () => ({ result: JSON.stringify(OFFLINE_INVOCATION_RESULT), qualifier: "$LATEST", terraformKey: "tf" }),
  },
  // A state machine is known by its ARN (`arn:…:states:<region>:<account>:stateMachine:<name>`), as AWS
  // returns it from CreateStateMachine.
  "aws:sfn/stateMachine:StateMachine": {
    id: (ctx) => ctx.arn("states", `stateMachine:${str(ctx.inputs.name)}`),
    autoname: { property: "name", maxLength: 80 },
    state: (ctx) => ({
      arn: ctx.arn("states", `stateMachine:${str(ctx.inputs.name)}`),
      status: "ACTIVE",
      creationDate: "2026-01-01T00:00:00Z",
      revisionId: "",
      stateMachineVersionArn: "",
    }),
  },
};
