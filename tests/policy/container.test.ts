import { messagesOf, resource } from "./helpers";

const good = {
  name: "app",
  image: "111122223333.dkr.ecr.eu-west-1.amazonaws.com/app:1.4.2",
  user: "1000:1000",
  privileged: false,
  logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/saas/app" } },
};
const without = (o: object, key: string) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));
const td = (container: object, asString = true) =>
  resource("aws:ecs/taskDefinition:TaskDefinition", {
    family: "app",
    containerDefinitions: asString ? JSON.stringify([container]) : [container],
  });

describe("container policies: compliant fixture", () => {
  it.each([
    "container-no-privileged",
    "container-non-root-user",
    "container-pinned-images",
    "container-log-configuration",
  ])("%s passes", (policy) => {
    expect(messagesOf(policy, td(good))).toEqual([]);
    expect(messagesOf(policy, td({ ...good, image: "public.ecr.aws/nginx/nginx@sha256:" + "a".repeat(64) }))).toEqual(
      [],
    );
  });
});

describe("container-no-privileged", () => {
  it("flags privileged (string and parsed definitions)", () => {
    const message = 'Container "app" is privileged; remove privileged: true.';
    expect(messagesOf("container-no-privileged", td({ ...good, privileged: true }))).toEqual([message]);
    expect(messagesOf("container-no-privileged", td({ ...good, privileged: true }, false))).toEqual([message]);
  });
});

describe("container-non-root-user", () => {
  it.each(["root", "0", "0:0"])("flags user %s", (user) => {
    expect(messagesOf("container-non-root-user", td({ ...good, user }))).toEqual([
      `Container "app" runs as "${user}"; set user to a non-root UID such as "1000:1000".`,
    ]);
  });
  it("flags a missing user", () => {
    expect(messagesOf("container-non-root-user", td(without(good, "user")))).toEqual([
      'Container "app" runs as the image default user; set user to a non-root UID such as "1000:1000".',
    ]);
  });
});

describe("container-pinned-images", () => {
  it.each([
    "nginx",
    "nginx:latest",
    "registry.local:5000/app",
    "111122223333.dkr.ecr.eu-west-1.amazonaws.com/app:latest",
  ])("flags %s", (image) => {
    expect(messagesOf("container-pinned-images", td({ ...good, image }))).toEqual([
      `Container "app" image "${image}" is not pinned; use a digest (@sha256:...) or a release tag.`,
    ]);
  });
  it("accepts a tag after a registry port", () => {
    expect(messagesOf("container-pinned-images", td({ ...good, image: "registry.local:5000/app:2.0.1" }))).toEqual([]);
  });
});

describe("container-log-configuration", () => {
  it("flags a missing logConfiguration", () => {
    expect(messagesOf("container-log-configuration", td(without(good, "logConfiguration")))).toEqual([
      'Container "app" has no logConfiguration; set logConfiguration with logDriver "awslogs".',
    ]);
  });
});

describe("container-supported-lambda-runtime", () => {
  const fn = (runtime?: string) =>
    resource("aws:lambda/function:Function", { ...(runtime ? { runtime } : {}), handler: "index.handler" });

  it.each(["nodejs24.x", "nodejs22.x", "python3.13", undefined])("passes %s", (runtime) => {
    expect(messagesOf("container-supported-lambda-runtime", fn(runtime))).toEqual([]);
  });

  it.each(["nodejs20.x", "nodejs18.x", "nodejs16.x"])("flags %s", (runtime) => {
    expect(messagesOf("container-supported-lambda-runtime", fn(runtime))).toEqual([
      `Runtime "${runtime}" is a Node.js release past its end of life; set runtime to "nodejs24.x".`,
    ]);
  });
});
