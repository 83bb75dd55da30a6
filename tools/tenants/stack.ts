import { parseConfig, StackConfig } from "../../stacks/config";
import { REPO_ROOT } from "../engine/run";
import { loadStackSettings } from "../engine/project";
import { TenantSpec } from "../../components/tenant-schemas/model";

/** A stack's validated config, read from its stack file: the same parse `pulumi up` does. */
export function configOfStack(stack: string, projectDir = REPO_ROOT): StackConfig {
  const settings = loadStackSettings(projectDir, stack);
  return parseConfig(settings.config, { project: settings.project, stack });
}

/** A stack's tenants and database name, from its validated config. */
export function tenantsOfStack(stack: string, projectDir = REPO_ROOT): { tenants: TenantSpec[]; database: string } {
  const config = configOfStack(stack, projectDir);
  return { tenants: [...config.database.tenants], database: config.database.name };
}
/** `<stack>` as the first argument, before the flags: splits it off. */
export function splitStackArgument(argv: readonly string[]): { stack?: string; rest: string[] } {
  if (argv.length > 0 && !argv[0].startsWith("-")) {
    return { stack: argv[0], rest: argv.slice(1) };
  }
  return { rest: [...argv] };
}
