import { StackContext } from "../../components/shared/context";

/** The stack context of a component test: dev in us-east-1 of the engine's example account. */
export function testContext(overrides: Partial<StackContext> & Pick<StackContext, "kmsKeyArn">): StackContext {
  return { namePrefix: "saas-dev", region: "us-east-1", accountId: "123456789012", partition: "aws", ...overrides };
}
