import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { contentImageTag } from "../../components/container-service/imageTag";
import { runStack } from "../../tools/engine/run";

/**
 * The service image's tag must change with everything that changes the image's bytes: the ECR repository's tags
 * are immutable, so the same tag with other bytes is a rejected push (ImageTagAlreadyExistsException).
 */
describe("contentImageTag", () => {
  let dir: string;
  const ARM = { platform: "linux/arm64" };
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "image-tag-"));
    write("package.json", JSON.stringify({ version: "1.2.3" }));
    write("Dockerfile", "FROM node:24-bookworm-slim@sha256:" + "a".repeat(64) + "\n");
    write("src/server.ts", "export {};\n");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("is the package version and a content hash, the same for the same inputs", () => {
    const tag = contentImageTag(dir, ARM);
    expect(tag).toMatch(/^1\.2\.3-[0-9a-f]{12}$/);
    expect(contentImageTag(dir, ARM)).toBe(tag);
  });

  it("changes with the platform (serviceArchitecture)", () => {
    expect(contentImageTag(dir, { platform: "linux/amd64" })).not.toBe(contentImageTag(dir, ARM));
  });

  it("changes with the base image the Dockerfile names", () => {
    const before = contentImageTag(dir, ARM);
    write("Dockerfile", "FROM node:24-bookworm-slim@sha256:" + "b".repeat(64) + "\n");
    expect(contentImageTag(dir, ARM)).not.toBe(before);
  });

  it("changes with a Dockerfile outside the build folder", () => {
    const outside = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "image-tag-df-")), "Dockerfile");
    fs.writeFileSync(outside, "FROM scratch\n");
    const before = contentImageTag(dir, { ...ARM, dockerfile: outside });
    fs.writeFileSync(outside, "FROM busybox\n");
    expect(contentImageTag(dir, { ...ARM, dockerfile: outside })).not.toBe(before);
  });

  it("changes with a source file", () => {
    const before = contentImageTag(dir, ARM);
    write("src/server.ts", "export const x = 1;\n");
    expect(contentImageTag(dir, ARM)).not.toBe(before);
  });

  it("ignores installed dependencies and build outputs", () => {
    const before = contentImageTag(dir, ARM);
    write("node_modules/x/index.js", "1");
    write("dist/server.js", "1");
    expect(contentImageTag(dir, ARM)).toBe(before);
  });
});

describe("the stack's service image", () => {
  const imageName = async (config: Record<string, string> = {}) => {
    const run = await runStack({ stack: "dev", config });
    return run.resources.find((r) => r.type === "docker:index/image:Image" && r.name === "service-image")?.inputs
      .imageName as string;
  };

  it("gets another tag when serviceArchitecture changes, so the push is never refused", async () => {
    const arm = await imageName();
    const x86 = await imageName({ "saas:serviceArchitecture": "x86_64" });
    expect(arm).toMatch(/:0\.1\.0-[0-9a-f]{12}$/);
    expect(x86).toMatch(/:0\.1\.0-[0-9a-f]{12}$/);
    expect(x86.split(":").pop()).not.toBe(arm.split(":").pop());
  });
});
