/**
 * migrations/Dockerfile, read as Docker would (dockerfile-ast; Docker cannot run here): the bases it pins, where
 * it puts the migrations and the runner, and what it starts, each checked against the code that depends on it.
 */
import { DockerfileParser, type Instruction } from "dockerfile-ast";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { FLYWAY_IMAGE, CONTAINER_USER, RUNNER_COMMAND } from "../../components/database/migrationTask";
import { migrationImageFiles } from "../../components/database/migrationImage";

const REPO = path.resolve(__dirname, "..", "..");
const dockerfile = DockerfileParser.parse(readFileSync(path.join(REPO, "migrations", "Dockerfile"), "utf8"));
const appDockerfile = DockerfileParser.parse(readFileSync(path.join(REPO, "app", "Dockerfile"), "utf8"));
const all = (k: string) => dockerfile.getInstructions().filter((i) => i.getKeyword() === k);
const args = (i: Instruction) => i.getArguments().map((a) => a.getValue());
const image = (from: ReturnType<typeof dockerfile.getFROMs>[number]) => `${from.getImageName()}:${from.getImageTag()}`;

describe("migrations/Dockerfile", () => {
  it("builds FROM the Flyway release the task pins, with Node from the app's pinned node image", () => {
    const froms = dockerfile.getFROMs();
    expect(froms.map(image)).toEqual([image(appDockerfile.getFROMs()[0]), FLYWAY_IMAGE]);
    expect(froms[0].getBuildStage()).toBe("node");
    const [node] = all("COPY");
    expect(node.toString()).toBe("COPY --from=node /usr/local/bin/node /usr/local/bin/node");
  });

  it("puts the migrations and afterMigrate where FLYWAY_LOCATIONS points (filesystem:/flyway/sql)", () => {
    expect(all("COPY").map(args)).toContainEqual(["tenant/*.sql", "/flyway/sql/"]);
  });

  it("ships the runner the task starts, as the unprivileged user the task runs as", async () => {
    expect(all("COPY").map(args)).toContainEqual(["runner/runner.js", "/opt/runner/runner.js"]);
    expect(all("USER").map(args)).toEqual([[CONTAINER_USER]]);
    expect(all("ENTRYPOINT").map((i) => i.getArgumentsContent())).toEqual(["[]"]);
    expect(all("CMD").map((i) => JSON.parse(i.getArgumentsContent() ?? "null"))).toEqual([RUNNER_COMMAND]);
    // The staged build context holds exactly what the COPY lines name.
    expect([...(await migrationImageFiles()).keys()]).toEqual([
      "Dockerfile",
      "tenant/V1__baseline.sql",
      "tenant/V2__add_note_title.sql",
      "tenant/afterMigrate.sql",
      "runner/runner.js",
    ]);
  });

  it("checks at build time that the copied Node runs on Flyway's base", () => {
    expect(all("RUN").map((i) => i.getArgumentsContent())).toEqual(["node --version"]);
  });
});
