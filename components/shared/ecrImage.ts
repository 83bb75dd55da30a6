import * as pulumi from "@pulumi/pulumi";
import { Repository } from "@pulumi/aws/ecr/repository";
import { LifecyclePolicy } from "@pulumi/aws/ecr/lifecyclePolicy";
import { getAuthorizationTokenOutput } from "@pulumi/aws/ecr/getAuthorizationToken";
import { Image } from "@pulumi/docker/image";

/**
 * A stack's own image: its private ECR repository and, for an image built here, the docker build pushed to it
 * and pinned by digest. Every component that runs an image it builds (the service, the migration task) uses
 * these, so the repository rules and the digest pin are the same everywhere.
 */

/** What to build: a folder with a Dockerfile, pushed under a tag (values may arrive late, e.g. a bundle's hash). */
export interface ImageBuild {
  /** Folder sent to docker as the build context. */
  readonly context: pulumi.Input<string>;
  /** @default "<context>/Dockerfile" */
  readonly dockerfile?: pulumi.Input<string>;
  /** Image tag: a release version or a content hash, never `latest` (the repository's tags are immutable). */
  readonly tag: pulumi.Input<string>;
}

/** ECR lifecycle: untagged layers go after a week, and only the newest tagged images are kept. */
export function ecrLifecyclePolicy(keepTagged: number, untaggedDays: number) {
  return {
    rules: [
      {
        rulePriority: 1,
        description: `Expire untagged images after ${untaggedDays} days`,
        selection: {
          tagStatus: "untagged",
          countType: "sinceImagePushed",
          countUnit: "days",
          countNumber: untaggedDays,
        },
        action: { type: "expire" },
      },
      {
        rulePriority: 2,
        description: `Keep the last ${keepTagged} tagged images`,
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keepTagged },
        action: { type: "expire" },
      },
    ],
  };
}

export interface ImageRepositoryArgs {
  /** The repository's name, e.g. `saas-dev/app`. */
  readonly repositoryName: string;
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Let `pulumi destroy` delete the repository with its images in it (a disposable stack). */
  readonly forceDelete: boolean;
  readonly tags: Record<string, string>;
}

/**
 * The repository `${name}-repo` (immutable tags, scan on push, KMS-encrypted with the stack key) and its
 * lifecycle policy `${name}-repo-lifecycle` (30 tagged images kept, untagged ones expire after 7 days).
 */
export function imageRepository(parent: pulumi.Resource, name: string, a: ImageRepositoryArgs): Repository {
  const repository = new Repository(
    `${name}-repo`,
    {
      name: a.repositoryName,
      // A pushed tag can never be moved to other content: what a task definition names is what runs.
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: a.kmsKeyArn }],
      forceDelete: a.forceDelete,
      tags: a.tags,
    },
    { parent },
  );
  new LifecyclePolicy(
    `${name}-repo-lifecycle`,
    { repository: repository.name, policy: JSON.stringify(ecrLifecyclePolicy(30, 7)) },
    { parent },
  );
  return repository;
}

/**
 * Builds `build` for `platform` (`linux/arm64`, `linux/amd64`), pushes it to `repository` as `<url>:<tag>` (the
 * docker Image `${name}-image`) and returns its repo digest: a task started in a year runs the same bytes as one
 * started today, whatever happens to the tag.
 */
export function pushedImage(
  parent: pulumi.Resource,
  name: string,
  repository: Repository,
  build: ImageBuild,
  platform: string,
): pulumi.Output<string> {
  const token = getAuthorizationTokenOutput({ registryId: repository.registryId }, { parent });
  const image = new Image(
    `${name}-image`,
    {
      imageName: pulumi.interpolate`${repository.repositoryUrl}:${build.tag}`,
      build: {
        context: build.context,
        dockerfile: build.dockerfile ?? pulumi.output(build.context).apply((c) => `${c.replace(/\/$/, "")}/Dockerfile`),
        // Explicit, so a build on an x86 laptop still produces the architecture the tasks run on.
        platform,
      },
      registry: { server: repository.repositoryUrl, username: token.userName, password: token.password },
    },
    { parent },
  );
  return image.repoDigest;
}
