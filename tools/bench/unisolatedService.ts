/**
 * BENCH ONLY: the reference service with tenant isolation switched off (no transaction, no SET LOCAL ROLE), so
 * `npm run bench` can measure what isolation costs. It lives here, outside app/ (the image's build context), and
 * the service's own entry point (app/src/server.ts) never passes the option; tests/app/manifest.test.ts checks both.
 * The bench runs it as a login that can read the tenant's table directly (the schema owner).
 */
import { runService } from "../../app/src/service";

runService(process.env, { unsafeSkipTenantRole: true });
