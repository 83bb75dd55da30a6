import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ProjectError, loadStackSettings } from "../../tools/engine/project";
import { REPO_ROOT, runStack } from "../../tools/engine/run";

/**
 * Malformed stack files: each is one clear line that names the file and what is wrong, raised before the program
 * runs, never a stack trace, a misleading cause or a setting silently dropped.
 */
describe("stack files", () => {
  let dir: string;
  const write = (text: string | Buffer, stack = "t") => fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), text);
  const problemOf = (stack = "t") => {
    try {
      loadStackSettings(dir, stack);
    } catch (err) {
      expect(err).toBeInstanceOf(ProjectError);
      return (err as Error).message;
    }
    return "accepted";
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-files-"));
    // The repository's own project file, with the program addressed absolutely.
    const project = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8");
    fs.writeFileSync(
      path.join(dir, "Pulumi.yaml"),
      project.replace(/^main: .*$/m, `main: ${path.join(REPO_ROOT, "stacks/index.ts")}`),
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each<[string, string | Buffer, string]>([
    [
      "a list at the top",
      "- a\n- b\n",
      "Pulumi.t.yaml: expected a mapping with a `config:` mapping at the top, got a list",
    ],
    [
      "a scalar at the top",
      "hello\n",
      'Pulumi.t.yaml: expected a mapping with a `config:` mapping at the top, got the string "hello"',
    ],
    [
      "config as a string",
      "config: hello\n",
      'Pulumi.t.yaml: `config` must be a mapping of namespace:key to value, got the string "hello"',
    ],
    [
      "config as a list",
      "config:\n  - saas:azCount\n",
      "Pulumi.t.yaml: `config` must be a mapping of namespace:key to value, got a list",
    ],
    [
      "a misspelled top-level key (its config would be ignored)",
      "confg:\n  saas:azCount: 3\n",
      'Pulumi.t.yaml: top-level key "confg" is not one Pulumi reads (config, secretsprovider, encryptedkey, encryptionsalt, environment); config keys belong under config:',
    ],
    [
      "a key with a zero-width space",
      'config:\n  "saas:azCount\\u200b": 3\n',
      'Pulumi.t.yaml: config key "saas:azCount\\u200b": has an invisible character (U+200B) at position 13; the setting would be ignored, retype the key',
    ],
    [
      "a key with a no-break space in front",
      'config:\n  "\\u00a0saas:azCount": 3\n',
      'Pulumi.t.yaml: config key "\\u00a0saas:azCount": has an invisible character (U+00A0) at position 1; the setting would be ignored, retype the key',
    ],
    [
      "a misspelled namespace",
      "config:\n  sass:azCount: 3\n",
      'Pulumi.t.yaml: config key "sass:azCount": namespace "sass" is not one this program reads, so the setting would be ignored; did you mean saas:azCount?',
    ],
    [
      "a namespace in the wrong case",
      "config:\n  Saas:azCount: 3\n",
      'Pulumi.t.yaml: config key "Saas:azCount": namespace "Saas" is not one this program reads, so the setting would be ignored; did you mean saas:azCount?',
    ],
    [
      "transposed letters in a namespace",
      "config:\n  asw:region: us-east-1\n",
      'Pulumi.t.yaml: config key "asw:region": namespace "asw" is not one this program reads, so the setting would be ignored; did you mean aws:region?',
    ],
    [
      "a key that is a number",
      "config:\n  123: x\n",
      'Pulumi.t.yaml: config key "123" needs a namespace, e.g. saas:123',
    ],
    [
      "a duplicate key",
      "config:\n  saas:azCount: 2\n  saas:azCount: 3\n",
      "Pulumi.t.yaml: is not valid YAML at line 3, column 3: duplicated mapping key",
    ],
    [
      "tab indentation",
      "config:\n\tsaas:azCount: 2\n",
      "Pulumi.t.yaml: is not valid YAML at line 2, column 1: tab characters must not be used in indentation",
    ],
    [
      "a secure value that is not ciphertext",
      "config:\n  saas:alertHttpsEndpoint:\n    secure: 12\n",
      'Pulumi.t.yaml: saas:alertHttpsEndpoint: expected { secure: <ciphertext> } as pulumi config set --secret writes it, got {"secure":12}',
    ],
    [
      "a secure value with other keys",
      "config:\n  saas:alertHttpsEndpoint:\n    secure: AAAA\n    plain: x\n",
      'Pulumi.t.yaml: saas:alertHttpsEndpoint: expected { secure: <ciphertext> } as pulumi config set --secret writes it, got {"secure":"AAAA","plain":"x"}',
    ],
    [
      "UTF-16 text",
      Buffer.from("\ufeffconfig:\n  saas:azCount: 2\n", "utf16le"),
      "Pulumi.t.yaml: is not UTF-8 text (it has NUL bytes; UTF-16?); save it as UTF-8",
    ],
  ])("rejects %s in one line", (_what, text, expected) => {
    write(text);
    const message = problemOf();
    expect(message).toBe(expected);
    expect(message).not.toContain("\n");
  });

  it("rejects a YAML alias bomb before anything walks it", () => {
    // Nine levels of ten aliases: a billion strings once expanded; js-yaml shares the aliased objects, so the
    // parse is cheap and the size is counted without expanding.
    const levels = ['  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i <= 9; i++) {
      levels.push(`  a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(",")}]`);
    }
    write(`config:\n  saas:tenants:\n${levels.map((l) => `  ${l}`).join("\n")}\n`);
    expect(problemOf()).toBe(
      "Pulumi.t.yaml: expands to more than 100000 values through YAML aliases (&name / *name); a stack file needs no aliases, write the values out",
    );
  });

  it("rejects a file far larger than any stack file without reading it", () => {
    write(`config:\n  saas:namePrefix: "${"x".repeat(1024 * 1024)}"\n`);
    expect(problemOf()).toMatch(
      /^Pulumi\.t\.yaml: is 1048\d{3} bytes, more than the 1048576 a project or stack file may have; is it the right file\?$/,
    );
  });

  it("reads a UTF-8 file with a byte order mark like one without", () => {
    write("\ufeffconfig:\n  saas:azCount: 2\n", "bom");
    write("config:\n  saas:azCount: 2\n", "plain");
    expect(loadStackSettings(dir, "bom").config).toEqual(loadStackSettings(dir, "plain").config);
  });

  it("shows a huge value cut short in the configuration error", async () => {
    const huge = "10.0.0.0/16" + "x".repeat(100_000);
    write(
      fs
        .readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8")
        .replace("  saas:azCount: 2\n", `  saas:azCount: 2\n  saas:vpcCidr: "${huge}"\n`),
      "huge",
    );
    const error = await runStack({ stack: "huge", projectDir: dir }).then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(error).toContain(
      `saas:vpcCidr: "10.0.0.0/16${"x".repeat(188)}… (100013 characters) is not an IPv4 network in CIDR notation`,
    );
    expect(error?.length).toBeLessThan(2000);
  });
});
