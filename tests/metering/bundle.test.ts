import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { bundleHandler } from "../../components/shared/bundle";

/**
 * The collector's bundle as Lambda loads it (`index.js`, `index.handler`): one CommonJS file with pg, the AWS
 * SDK clients and collectUsage inside, which starts and reports a missing setting by name. It is loaded from a
 * temporary folder with no node_modules above it, and the handler loads pg and the clients before it reads its
 * environment: a dependency left out of the bundle would fail the require, not the setting check.
 */
describe("the collector's bundle", () => {
  it("loads on its own and names every missing setting", async () => {
    const bundle = await bundleHandler(
      "tenant-metering",
      path.join(__dirname, "..", "..", "components", "tenant-metering", "handler.ts"),
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "collector-"));
    try {
      const file = path.join(dir, "index.js");
      fs.writeFileSync(file, bundle.code);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const loaded = require(file) as { handler: () => Promise<unknown> };
      const saved = { ...process.env };
      for (const k of ["DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "METERING_BUCKET"]) delete process.env[k];
      const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
      try {
        await expect(loaded.handler()).rejects.toThrow(
          "metering failed at configuration: collector misconfigured: DB_HOST is not set; DB_PORT is not set",
        );
      } finally {
        log.mockRestore();
        process.env = saved;
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
