import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { bundleEntry } from "../../components/shared/bundle";

/** A two-file program bundled with the provisioner's settings and a cache in a folder of its own. */
describe("bundleEntry's cache", () => {
  let root: string;
  let cacheDir: string;
  const entry = () => path.join(root, "main.ts");
  const opts = () => ({ entry: entry(), root, cacheDir });
  const codeMtime = () => fs.statSync(path.join(cacheDir, "index.js")).mtimeMs;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-"));
    cacheDir = path.join(root, ".cache");
    fs.writeFileSync(
      path.join(root, "main.ts"),
      'import { word } from "./word";\nexport const handler = () => word;\n',
    );
    fs.writeFileSync(path.join(root, "word.ts"), 'export const word: string = "one";\n');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test("an unchanged program is read back from the cache, byte for byte", async () => {
    const first = await bundleEntry(opts());
    expect(first.code).toContain('"one"');
    expect(JSON.parse(fs.readFileSync(path.join(cacheDir, "manifest.json"), "utf8")).inputs).toEqual([
      "main.ts",
      "word.ts",
    ]);
    const written = codeMtime();
    await new Promise((r) => setTimeout(r, 20));
    expect(await bundleEntry(opts())).toEqual(first);
    expect(codeMtime()).toBe(written);
  });

  test("an edited import is bundled again", async () => {
    const first = await bundleEntry(opts());
    fs.writeFileSync(path.join(root, "word.ts"), 'export const word: string = "two";\n');
    const second = await bundleEntry(opts());
    expect(second.code).toContain('"two"');
    expect(second.sha256).not.toBe(first.sha256);
  });

  test("a cached file that does not match its recorded hash is not used", async () => {
    const first = await bundleEntry(opts());
    fs.writeFileSync(path.join(cacheDir, "index.js"), "tampered");
    expect(await bundleEntry(opts())).toEqual(first);
  });

  test("gives the same bytes without a cache", async () => {
    const cachedBundle = await bundleEntry(opts());
    expect(await bundleEntry({ entry: entry(), root })).toEqual(cachedBundle);
  });
});
