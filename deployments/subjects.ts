/**
 * OIDC subjects the deployment identities trust, exactly as the issuers write them (Entra matches subjects
 * exactly, no wildcards):
 * - Pulumi Deployments: `pulumi:deploy:org:<org>:project:<project>:stack:<stack>:operation:<op>:scope:write`, one
 *   per operation (pulumi docs, "Configuring OpenID Connect for Azure", subject claim examples); issuer
 *   https://api.pulumi.com/oidc, audience = the organization name.
 * - ESC `azure-login` with `subjectAttributes: [currentEnvironment.name]`:
 *   `pulumi:environments:pulumi.organization.login:<org>:currentEnvironment.name:<project>/<env>`; issuer
 *   https://api.pulumi.com/oidc, audience `azure:<org>` (pulumi/docs content/docs/esc/guides/configuring-oidc/azure.md:
 *   "For ESC this is the name of your Pulumi organization prefixed with `azure:`"; _index.md: `aud` is the org
 *   "prefixed with the provider's platform name (`aws:{org}`, `azure:{org}`, `gcp:{org}`)"). Only environments of the
 *   legacy `default` project keep the bare org as audience and leave the project out of `currentEnvironment.name`
 *   (same two pages). Without subjectAttributes an environment imported by a stack presents the literal
 *   `...:env:<yaml>` (pulumi/pulumi#14509), shared by every environment of the org, so we always set the attribute.
 * - GitHub Actions: `repo:<owner>/<repo>:pull_request` and `repo:<owner>/<repo>:ref:refs/heads/<branch>`, issuer
 *   https://token.actions.githubusercontent.com, audience api://AzureADTokenExchange (azure/login's default).
 */
export const PULUMI_OIDC_ISSUER = "https://api.pulumi.com/oidc";
export const GITHUB_OIDC_ISSUER = "https://token.actions.githubusercontent.com";
export const ENTRA_TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
export const DEPLOY_OPERATIONS = ["preview", "update", "refresh", "destroy"] as const;
export type DeployOperation = (typeof DEPLOY_OPERATIONS)[number];
/** Entra: at most 20 federated identity credentials per user-assigned identity (FACTS §4). */
export const MAX_FICS_PER_IDENTITY = 20;

export function deploySubject(org: string, project: string, stack: string, operation: DeployOperation): string {
    return `pulumi:deploy:org:${org}:project:${project}:stack:${stack}:operation:${operation}:scope:write`;
}

/** ESC's legacy project: its environments keep the pre-project audience and subject (pulumi/docs, see above). */
export const ESC_LEGACY_PROJECT = "default";

/** `<project>/<env>` → the subject an ESC azure-login token carries with subjectAttributes [currentEnvironment.name]. */
export function escSubject(org: string, environment: string): string {
    const [project, name] = environment.split("/");
    const current = project === ESC_LEGACY_PROJECT ? name : environment;
    return `pulumi:environments:pulumi.organization.login:${org}:currentEnvironment.name:${current}`;
}

/** The audience of an ESC azure-login token for an environment `<project>/<env>`: `azure:<org>`, or `<org>` in `default`. */
export function escAudience(org: string, environment: string): string {
    return environment.split("/")[0] === ESC_LEGACY_PROJECT ? org : `azure:${org}`;
}

/** The audience of a Pulumi Deployments OIDC token: the organization name (pulumi/docs deployments/guides/oidc/azure.md). */
export function deployAudience(org: string): string {
    return org;
}

export function githubSubjects(repository: string, branches: readonly string[]): string[] {
    return [`repo:${repository}:pull_request`, ...[...new Set(branches)].sort().map((b) => `repo:${repository}:ref:refs/heads/${b}`)];
}

/** Federated credential names: 3–120 letters, digits, '-' and '_', starting alphanumeric (FACTS §4). */
export function ficName(...parts: string[]): string {
    const name = parts.join("-").replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "");
    return name.length <= 120 ? name : name.slice(0, 120);
}
