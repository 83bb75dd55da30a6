/** GitHub names as they appear in an Actions OIDC token's `sub` claim. Pure. */

const GITHUB_OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const GITHUB_REPO = /^[A-Za-z0-9._-]{1,100}$/;

/** What is wrong with a GitHub `owner/repo`, or undefined. */
export function githubRepositoryProblem(value: string): string | undefined {
  const [owner, repo, ...rest] = value.split("/");
  if (rest.length > 0 || !owner || !repo || !GITHUB_OWNER.test(owner) || !GITHUB_REPO.test(repo) || repo === "..") {
    return "expected a GitHub repository as owner/repo, e.g. example-org/frontend";
  }
  return undefined;
}

/** What is wrong with a branch name used in an OIDC subject, or undefined. */
export function branchProblem(value: string): string | undefined {
  // `*` or `?` would turn the trust policy's exact subject into a pattern; refs/heads/ is added by the program.
  if (!/^[A-Za-z0-9._/-]{1,200}$/.test(value) || value.startsWith("refs/") || value.includes("..")) {
    return "expected a branch name such as main (no wildcards, without refs/heads/)";
  }
  return undefined;
}

/** The `sub` claim of a workflow run on a branch push: exactly one repository and branch. */
export function githubBranchSubject(repository: string, branch: string): string {
  return `repo:${repository}:ref:refs/heads/${branch}`;
}

/**
 * The `sub` claim of a job that runs in a GitHub environment (`environment: <name>`): GitHub puts the environment
 * there instead of the ref, so a role trusting it can be assumed only by jobs of that environment, whose
 * protection rules (required reviewers, deployment branches) apply first.
 */
export function githubEnvironmentSubject(repository: string, environment: string): string {
  return `repo:${repository}:environment:${environment}`;
}

/** The `sub` claim of a workflow run for a `pull_request` event (any branch, any fork that may run it). */
export function githubPullRequestSubject(repository: string): string {
  return `repo:${repository}:pull_request`;
}

/** What is wrong with a GitHub environment name used in an OIDC subject, or undefined. */
export function environmentProblem(value: string): string | undefined {
  // GitHub allows most characters in environment names; wildcards would turn the exact subject into a pattern.
  if (!/^[A-Za-z0-9._-]{1,255}$/.test(value)) {
    return "expected a GitHub environment name such as production (letters, digits, '.', '_' or '-')";
  }
  return undefined;
}
