/**
 * deployments/ refuses bad config before registering anything, naming key, value and fix, all problems at once;
 * and the ESC path (credentials: esc), the only one review stacks can use.
 */
import { describe, expect, it } from "vitest";
import { parseConfig, type RepoView } from "../deployments/config";
import { escEnvironmentYaml } from "../deployments/escEnvironment";
import { deployAudience, escAudience, escSubject } from "../deployments/subjects";
import { resolve, runDeployments } from "../deployments/test/harness";
import { parse } from "yaml";

const REPO: RepoView = { projectName: "kedascale", projectDefaults: { "kedascale:namePrefix": "kedascale", "kedascale:location": "westeurope" }, stackFiles: { dev: { config: {} }, scale1000: { config: {} } } };
const base = { repository: "contoso/kedascale", stacks: [{ name: "dev" }] };
const problems = (raw: Record<string, unknown>, repo: RepoView = REPO): string => {
    try {
        parseConfig(raw, repo, "contoso");
    } catch (e) {
        return (e as Error).message;
    }
    throw new Error("expected the config to be refused");
};

describe("bad config is refused with key, value and fix", () => {
    it("under mocks, before any resource is registered, listing every problem at once", async () => {
        const r = await runDeployments("kedascale", { repository: "not a repo", stacks: [{ name: "dev", scope: "tenant" }, { name: "nosuch" }] });
        expect(r.resources).toEqual([]);
        const msg = String((r.error as Error).message);
        expect(msg).toMatch(/invalid \(3 problems\)/);
        expect(msg).toContain(`kedascale-deployments:repository: "not a repo" is not <owner>/<repo>. Fix: pulumi config set repository <owner>/<repo>`);
        expect(msg).toContain(`kedascale-deployments:stacks[0].scope: "tenant" is not a scope. Fix: use "subscription" or "resourceGroup"`);
        expect(msg).toContain(`kedascale-deployments:stacks[1].name: "nosuch" has no Pulumi.nosuch.yaml in .`);
    });

    it.each([
        ["missing repository", { stacks: [{ name: "dev" }] }, /repository: is required.*Fix: pulumi config set repository/],
        ["no stacks", { ...base, stacks: [] }, /stacks: must list at least one kedascale stack, got \[\]/],
        ["a stack listed twice", { ...base, stacks: [{ name: "dev" }, { name: "dev" }] }, /stacks\[1\].name: "dev" is listed twice/],
        ["a typo in a stack entry", { ...base, stacks: [{ name: "dev", deployCommit: true }] }, /stacks\[0\].deployCommit: is not a stack setting/],
        ["an unknown top-level key", { ...base, repo: "x" }, /kedascale-deployments:repo: is not a setting of this program/],
        ["a full ref as branch", { ...base, stacks: [{ name: "dev", branch: "refs/heads/main" }] }, /stacks\[0\].branch: "refs\/heads\/main" is not a branch name. Fix: give the short branch name/],
        ["a non-boolean flag", { ...base, stacks: [{ name: "dev", deployCommits: "yes" }] }, /stacks\[0\].deployCommits: must be true or false, got "yes"/],
        ["an absolute path filter", { ...base, stacks: [{ name: "dev", paths: ["/index.ts"] }] }, /stacks\[0\].paths: \["\/index.ts"\] must be a non-empty list of repository-relative glob patterns/],
        ["paths with nothing to filter", { ...base, stacks: [{ name: "dev", paths: ["index.ts"], deployCommits: false, previewPullRequests: false }] }, /stacks\[0\].paths: .*would have no effect/],
        ["review stacks over Deployments OIDC", { ...base, stacks: [{ name: "dev", reviewStacks: true }] }, /stacks\[0\].reviewStacks: is true with credentials "oidc": review stacks get a new stack name per pull request.*Fix: set credentials: esc/],
        ["escEnvironment without esc", { ...base, stacks: [{ name: "dev", escEnvironment: "kedascale/azure-dev" }] }, /stacks\[0\].escEnvironment: is set but credentials is "oidc": it would have no effect/],
        ["esc without an environment", { ...base, stacks: [{ name: "dev", credentials: "esc" }] }, /stacks\[0\].escEnvironment: undefined must be <project>\/<environment> with credentials: esc/],
        ["esc whose stack file does not import the environment", { ...base, stacks: [{ name: "dev", credentials: "esc", escEnvironment: "kedascale/azure-dev" }] }, /Pulumi.dev.yaml does not import "kedascale\/azure-dev".*Fix: add "environment: \[kedascale\/azure-dev\]" to Pulumi.dev.yaml/],
        ["a project other than the source's", { ...base, project: "other" }, /project: "other" differs from the project in .\/Pulumi.yaml \("kedascale"\)/],
        ["a bad organization", { ...base, organization: "my org" }, /organization: "my org" is not a Pulumi organization name/],
        ["more branches than one CI identity can federate", { ...base, stacks: Array.from({ length: 20 }, (_, i) => ({ name: i === 0 ? "dev" : "scale1000", branch: `b${i}` })) }, /CI identity would need 21 federated credentials/],
    ])("%s", (_, raw, expected) => {
        expect(problems(raw as Record<string, unknown>)).toMatch(expected);
    });

    it("a repoDir without Pulumi.yaml", () => {
        expect(problems({ ...base, repoDir: "docs" }, { projectDefaults: {}, stackFiles: {} })).toMatch(/repoDir: "docs" holds no Pulumi.yaml/);
    });

    it("the branch limit is exactly Entra's 20 credentials per identity: pull requests + 19 branches pass", () => {
        const names = Array.from({ length: 19 }, (_, i) => `s${i}`);
        const repo: RepoView = { ...REPO, stackFiles: Object.fromEntries(names.map((n) => [n, { config: {} }])) };
        expect(() => parseConfig({ ...base, stacks: names.map((name, i) => ({ name, branch: `b${i}` })) }, repo, "contoso")).not.toThrow();
    });
});

describe("the ESC path (credentials: esc)", () => {
    const escOverrides = { repoDir: "deployments/test/fixtures/esc", stacks: [{ name: "dev", credentials: "esc", escEnvironment: "kedascale/azure-dev", reviewStacks: true }] };

    it("creates the azure-login environment, one federated credential for the subject and audience ESC sends, and settings without Deployments OIDC", async () => {
        const r = await runDeployments("kedascale", escOverrides);
        if (r.error) throw r.error;
        const fics = r.ofType("azure-native:managedidentity:FederatedIdentityCredential").filter((f) => f.parentName === "stack-dev");
        // The subject names the environment, not the stack: the review stacks made from this template per pull request
        // import the same environment and present the same subject, so this one credential serves them all.
        expect(fics.map((f) => f.inputs.subject)).toEqual(["pulumi:environments:pulumi.organization.login:contoso:currentEnvironment.name:kedascale/azure-dev"]);
        // ESC's azure-login token for an environment in a project has audience `azure:<org>`, not `<org>`
        // (pulumi/docs esc/guides/configuring-oidc/azure.md): Entra matches the audience exactly.
        expect(fics[0].inputs).toMatchObject({ issuer: "https://api.pulumi.com/oidc", audiences: ["azure:contoso"] });
        const env = r.ofType("pulumiservice:index:Environment")[0];
        expect(env.inputs).toMatchObject({ organization: "contoso", project: "kedascale", name: "azure-dev" });
        const settings = r.ofType("pulumiservice:index:DeploymentSettings")[0].inputs;
        expect(settings.operationContext.oidc).toBeUndefined();
        expect(settings.vcs.pullRequestTemplate).toBe(true);
        expect(settings.sourceContext.git.repoDir).toBe("deployments/test/fixtures/esc");
        expect(settings.vcs.paths[0]).toBe("deployments/test/fixtures/esc/index.ts");
        const clientId = await resolve(r.outputs.stacks.dev.deployerClientId);
        // The asset's text is what ESC stores: azure-login with oidc and the subject attribute, ARM_* exported.
        const text: string = await env.inputs.yaml.text; // a StringAsset; mocks hand its text as a promise
        const doc = parse(text);
        expect(doc.values.azure.login["fn::open::azure-login"]).toMatchObject({ clientId, oidc: true, subjectAttributes: ["currentEnvironment.name"] });
        expect(doc.values.environmentVariables).toMatchObject({ ARM_USE_OIDC: "true", ARM_CLIENT_ID: "${azure.login.clientId}", ARM_OIDC_TOKEN: "${azure.login.oidc.token}" });
        expect(text).not.toMatch(/clientSecret/);
    });

    it("mixes audiences per stack: the ESC stack's identity trusts azure:<org>, a Deployments OIDC stack's the bare org", async () => {
        const r = await runDeployments("kedascale", {
            repoDir: "deployments/test/fixtures/esc",
            stacks: [
                { name: "dev", credentials: "esc", escEnvironment: "kedascale/azure-dev", reviewStacks: true },
                { name: "prod", branch: "release" },
            ],
        });
        if (r.error) throw r.error;
        const audiences = (component: string) => [...new Set(r.ofType("azure-native:managedidentity:FederatedIdentityCredential").filter((f) => f.parentName === component).flatMap((f) => f.inputs.audiences))];
        expect(audiences("stack-dev")).toEqual(["azure:contoso"]);
        expect(audiences("stack-prod")).toEqual(["contoso"]);
    });

    it("an environment of ESC's legacy `default` project keeps the bare org as audience and no project in the subject", () => {
        // pulumi/docs esc/guides/configuring-oidc/azure.md ("For environments in the default project the audience will
        // use just the Pulumi organization name") and _index.md (currentEnvironment.name resolves to the name only).
        expect(escAudience("contoso", "default/azure-dev")).toBe("contoso");
        expect(escSubject("contoso", "default/azure-dev")).toBe("pulumi:environments:pulumi.organization.login:contoso:currentEnvironment.name:azure-dev");
        expect(escAudience("contoso", "kedascale/azure-dev")).toBe("azure:contoso");
        expect(escSubject("contoso", "platform/azure-prod")).toBe("pulumi:environments:pulumi.organization.login:contoso:currentEnvironment.name:platform/azure-prod");
        expect(deployAudience("contoso")).toBe("contoso");
    });

    it("the example environment in deployments/esc matches what the program writes", async () => {
        const { readFileSync } = await import("node:fs");
        const { join } = await import("node:path");
        const example = parse(readFileSync(join(__dirname, "..", "deployments", "esc", "azure-login.example.yaml"), "utf8"));
        const generated = parse(escEnvironmentYaml({ clientId: "<deployer client id>", tenantId: "<tenant id>", subscriptionId: "<subscription id>" }));
        expect(example).toEqual(generated);
    });
});
