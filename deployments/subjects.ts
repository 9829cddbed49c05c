/**
 * OIDC subjects the deployment identities trust, exactly as the issuers write them (Entra matches subjects
 * exactly, no wildcards):
 * - Pulumi Deployments: `pulumi:deploy:org:<org>:project:<project>:stack:<stack>:operation:<op>:scope:write`, one
 *   per operation (pulumi docs, "Configuring OpenID Connect for Azure", subject claim examples); issuer
 *   https://api.pulumi.com/oidc, audience = the organization name.
 * - ESC with `subjectAttributes: [currentEnvironment.name]`:
 *   `pulumi:environments:pulumi.organization.login:<org>:currentEnvironment.name:<project>/<env>` (pulumi docs, ESC
 *   OIDC "Subject claim customization"). Without subjectAttributes an environment imported by a stack presents the
 *   literal `...:env:<yaml>`, shared by every environment of the org, so we always set the attribute.
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

export function escSubject(org: string, environment: string): string {
    return `pulumi:environments:pulumi.organization.login:${org}:currentEnvironment.name:${environment}`;
}

export function githubSubjects(repository: string, branches: readonly string[]): string[] {
    return [`repo:${repository}:pull_request`, ...[...new Set(branches)].sort().map((b) => `repo:${repository}:ref:refs/heads/${b}`)];
}

/** Federated credential names: 3–120 letters, digits, '-' and '_', starting alphanumeric (FACTS §4). */
export function ficName(...parts: string[]): string {
    const name = parts.join("-").replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "");
    return name.length <= 120 ? name : name.slice(0, 120);
}
