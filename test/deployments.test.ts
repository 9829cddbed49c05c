/**
 * deployments/ under Pulumi mocks with its real stack file (deployments/Pulumi.kedascale.yaml): per kedascale stack,
 * the Deployments settings Pulumi Cloud receives and the Azure identity its OIDC token is exchanged for.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { DEPLOYMENTS_DIR, ORGANIZATION_OF_THIS_STACK, resolve, runDeployments, type DeploymentsRun } from "../deployments/test/harness";
import { ROLES } from "../components/azure/roles";
import { INVOKE_ACCESS, ROLE_PERMISSIONS, roleAllows, scopeCovers } from "../deployments/azureActions";
import { MOCK_SUBSCRIPTION, MOCK_TENANT } from "./harness/mockState";
import type { SettledRun } from "./harness/runProgram";
import { clusterKind, stackNames } from "./harness/stackConfig";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { parse } from "yaml";

const FIC = "azure-native:managedidentity:FederatedIdentityCredential";
const UAI = "azure-native:managedidentity:UserAssignedIdentity";
const RA = "azure-native:authorization:RoleAssignment";
const SETTINGS = "pulumiservice:index:DeploymentSettings";
const CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const RBAC_ADMIN = "f58310d9-a9f6-439a-9e8d-f62e7b41a168";
const CI_READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

/** The main program under mocks, once per stack and mode (`pulumi up`, or a preview): several tests read the same run. */
const mainRuns = new Map<string, Promise<SettledRun>>();
function mainRun(stack: string, preview = false): Promise<SettledRun> {
    const key = `${stack}:${preview}`;
    if (!mainRuns.has(key)) {
        mainRuns.set(
            key,
            import("./harness/runProgram").then(async ({ settleProgram }) => {
                const r = await settleProgram(stack, {}, preview);
                if (r.error) throw r.error;
                return r;
            }),
        );
    }
    return mainRuns.get(key)!;
}

let run: DeploymentsRun;
beforeAll(async () => {
    run = await runDeployments();
    if (run.error) throw run.error;
});

const settingsOf = (stack: string) => run.ofType(SETTINGS).find((r) => r.inputs.stack === stack)!;
const ficsOf = (component: string) => run.ofType(FIC).filter((r) => r.parentName === component);

describe("Deployments settings per stack (deployments/Pulumi.kedascale.yaml)", () => {
    it("covers every kedascale stack file in the repository (but local)", () => {
        // The local stack deploys to the deployer's laptop cluster through their kubeconfig: Pulumi Deployments' runner
        // has neither, so it is never deployed from there (and it has no Azure resource to deploy).
        expect(run.ofType(SETTINGS).map((r) => r.inputs.stack).sort()).toEqual(stackNames().filter((s) => clusterKind(s) !== "local"));
    });

    it("dev: git source on main, the vcs block (not the deprecated github block) with a paths filter, deploy on push, preview PRs, npm ci first", () => {
        const s = settingsOf("dev").inputs;
        expect(s).toMatchObject({ organization: "contoso", project: "kedascale", stack: "dev" });
        // A full ref, as every settings example of Pulumi's API and provider writes it (stackDeployment.ts cites them).
        expect(s.sourceContext).toEqual({ git: { branch: "refs/heads/main", repoDir: "." } });
        expect(s.github).toBeUndefined();
        expect(s.vcs).toEqual({
            provider: "github",
            repository: "contoso/kedascale",
            paths: ["index.ts", "components/**", "consumer/**", "Pulumi.yaml", "Pulumi.dev.yaml", "package.json", "package-lock.json"],
            deployCommits: true,
            previewPullRequests: true,
            pullRequestTemplate: false,
        });
        expect(s.operationContext.preRunCommands).toEqual(["npm ci --no-audit --no-fund"]);
    });

    it("every stack's source branch is the full ref of its configured branch, never a short name or a doubled prefix", async () => {
        for (const r of run.ofType(SETTINGS)) expect(r.inputs.sourceContext.git.branch).toBe("refs/heads/main");
        const other = await runDeployments("kedascale", { stacks: [{ name: "dev", branch: "release/v2" }] });
        if (other.error) throw other.error;
        expect(other.ofType(SETTINGS)[0].inputs.sourceContext.git.branch).toBe("refs/heads/release/v2");
        // GitHub's OIDC subject for a push takes the same ref (CI identity).
        expect(other.ofType(FIC).filter((f) => f.parentName === "ci").map((f) => f.inputs.subject)).toContain("repo:contoso/kedascale:ref:refs/heads/release/v2");
    });

    it("scale1000 previews pull requests but does not deploy on push (its stack entry says so)", () => {
        expect(settingsOf("scale1000").inputs.vcs).toMatchObject({ deployCommits: false, previewPullRequests: true, paths: expect.arrayContaining(["Pulumi.scale1000.yaml"]) });
    });

    it("hands Deployments the stack's own identity by OIDC: client id, tenant, subscription, and no secret anywhere", async () => {
        for (const stack of ["dev", "scale1000"]) {
            const identity = run.ofType(UAI).find((r) => r.parentName === `stack-${stack}`)!;
            const clientId = await resolve(run.outputs.stacks[stack].deployerClientId);
            expect(settingsOf(stack).inputs.operationContext.oidc).toEqual({ azure: { clientId, tenantId: MOCK_TENANT, subscriptionId: MOCK_SUBSCRIPTION } });
            expect(identity.inputs.resourceName).toBe(`kedascale-deploy-${stack}`);
        }
        const everything = JSON.stringify(run.resources.map((r) => r.inputs));
        expect(everything).not.toMatch(/secret|password|clientSecret|personalAccessToken|sshPrivateKey/i);
    });
});

describe("the Azure side of OIDC", () => {
    it("one federated credential per Deployments operation, with Pulumi's issuer, the bare org as audience (Deployments OIDC, unlike ESC) and the exact subject", () => {
        const fics = ficsOf("stack-dev");
        expect(fics.map((f) => f.inputs.subject)).toEqual(
            ["preview", "update", "refresh", "destroy"].map((op) => `pulumi:deploy:org:contoso:project:kedascale:stack:dev:operation:${op}:scope:write`),
        );
        for (const f of fics) {
            expect(f.inputs).toMatchObject({ issuer: "https://api.pulumi.com/oidc", audiences: ["contoso"], resourceName: "kedascale-deploy-dev" });
            expect(f.inputs.federatedIdentityCredentialResourceName).toMatch(/^[A-Za-z0-9][-\w]{2,119}$/);
        }
    });

    it("creates each identity's federated credentials one after another (concurrent writes on one identity fail, FACTS §4) and at most 20", () => {
        for (const component of ["stack-dev", "stack-scale1000", "ci"]) {
            const fics = ficsOf(component);
            expect(fics.length).toBeGreaterThan(0);
            expect(fics.length).toBeLessThanOrEqual(20);
            fics.forEach((f, i) => expect(f.dependsOn).toEqual(i === 0 ? [] : [fics[i - 1].name]));
        }
    });

    it("grants the deployer Contributor and a role-delegation limited by ABAC to exactly the roles kedascale assigns, on the configured scope", () => {
        const scopes = { dev: `/subscriptions/${MOCK_SUBSCRIPTION}`, scale1000: `/subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/kedascale-scale1000-rg` };
        for (const [stack, scope] of Object.entries(scopes)) {
            const roles = run.ofType(RA).filter((r) => r.parentName === `stack-${stack}`);
            expect(roles.map((r) => r.inputs.roleDefinitionId.split("/").pop()).sort()).toEqual([CONTRIBUTOR, RBAC_ADMIN].sort());
            for (const r of roles) expect(r.inputs).toMatchObject({ scope, principalType: "ServicePrincipal", roleAssignmentName: expect.stringMatching(/^[0-9a-f-]{36}$/) });
            const delegation = roles.find((r) => r.inputs.roleDefinitionId.endsWith(RBAC_ADMIN))!;
            expect(delegation.inputs.conditionVersion).toBe("2.0");
            const guids = (delegation.inputs.condition as string).match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g)!;
            expect(new Set(guids)).toEqual(new Set(Object.values(ROLES)));
            expect(delegation.inputs.condition).toMatch(/roleAssignments\/write[\s\S]*PrincipalType\] ForAnyOfAnyValues:StringEqualsIgnoreCase \{'ServicePrincipal'\}/);
            expect(delegation.inputs.condition).toMatch(/roleAssignments\/delete/);
            // Never Owner or User Access Administrator (unrestricted role assignment).
            expect(roles.some((r) => /8e3af657-a8ff-443c-a75c-2fe8c4bcb635|18d7d88d-d35e-4fb5-a5c3-7773c20a72d9/.test(r.inputs.roleDefinitionId))).toBe(false);
        }
    });

    it("the delegation covers every role the main program actually assigns in every stack", async () => {
        const delegated = new Set(Object.values(ROLES));
        for (const stack of stackNames()) {
            const main = await mainRun(stack);
            for (const ra of main.resources.filter((r) => r.type === RA)) expect(delegated.has(ra.inputs.roleDefinitionId.split("/").pop())).toBe(true);
        }
    });

    it("resource-group scope: creates the main program's group (same name and region) for the deployer, kept on delete, and prints the adoption command", async () => {
        const group = run.resources.find((r) => r.type === "azure-native:resources:ResourceGroup" && r.parentName === "stack-scale1000")!;
        const stackFile = parse(readFileSync(join(DEPLOYMENTS_DIR, "..", "Pulumi.scale1000.yaml"), "utf8")).config;
        const project = parse(readFileSync(join(DEPLOYMENTS_DIR, "..", "Pulumi.yaml"), "utf8")).config;
        expect(group.inputs).toEqual({ resourceGroupName: "kedascale-scale1000-rg", location: stackFile["kedascale:location"] ?? project["kedascale:location"].default });
        expect(await resolve(run.outputs.stacks.scale1000.adoptResourceGroup)).toBe(
            `pulumi import --stack scale1000 --yes azure-native:resources:ResourceGroup group /subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/kedascale-scale1000-rg`,
        );
        expect(run.outputs.stacks.dev.adoptResourceGroup).toBeUndefined();
    });

    it("the resource group name is the one the main program creates (its own names.ts)", async () => {
        const groups = (await mainRun("scale1000")).resources.filter((r) => r.type === "azure-native:resources:ResourceGroup");
        expect(groups.map((g) => g.inputs.resourceGroupName)).toEqual(["kedascale-scale1000-rg"]);
    });
});

describe("the CI preview identity (GitHub Actions, azure/login over OIDC)", () => {
    it("trusts only this repository's pull requests and pushes to the deployed branches", () => {
        const fics = ficsOf("ci");
        expect(fics.map((f) => f.inputs.subject)).toEqual(["repo:contoso/kedascale:pull_request", "repo:contoso/kedascale:ref:refs/heads/main"]);
        for (const f of fics) expect(f.inputs).toMatchObject({ issuer: "https://token.actions.githubusercontent.com", audiences: ["api://AzureADTokenExchange"] });
    });

    it("is read-only (Reader + AKS cluster user) on each distinct scope", () => {
        const roles = run.ofType(RA).filter((r) => r.parentName === "ci");
        const byScope = new Map<string, string[]>();
        for (const r of roles) byScope.set(r.inputs.scope, [...(byScope.get(r.inputs.scope) ?? []), r.inputs.roleDefinitionId.split("/").pop()]);
        expect([...byScope.keys()].sort()).toEqual([
            `/subscriptions/${MOCK_SUBSCRIPTION}`,
            `/subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/kedascale-aca-rg`,
            `/subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/kedascale-scale1000-rg`,
            `/subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/kedascale-team-rg`,
        ]);
        for (const guids of byScope.values()) expect(guids.sort()).toEqual(["4abbcc35-e782-43d8-92c5-2d3f1bd2253f", "acdd72a7-3385-48ef-bd42-f606fba81ae7"]);
        const rgRoles = roles.filter((r) => r.inputs.scope.includes("resourceGroups"));
        // Each resource-group role waits for that stack's group (kedascale-<stack>-rg is created by stack-<stack>-group).
        for (const r of rgRoles) expect(r.dependsOn).toContain(`stack-${/kedascale-(.+)-rg$/.exec(r.inputs.scope)![1]}-group`);
    });

    it("exports the ids the workflow needs as repository variables", async () => {
        const ci = run.outputs.ciPreview;
        expect(await resolve(ci.tenantId)).toBe(MOCK_TENANT);
        expect(await resolve(ci.subscriptionId)).toBe(MOCK_SUBSCRIPTION);
        expect(await resolve(ci.clientId)).toMatch(/^[0-9a-f-]{36}$/);
    });
});

describe("defaults", () => {
    it("the organization defaults to the one owning this deployments stack", async () => {
        const r = await runDeployments("kedascale", { organization: undefined });
        expect(r.error).toBeUndefined();
        expect(r.ofType(SETTINGS).every((s) => s.inputs.organization === ORGANIZATION_OF_THIS_STACK)).toBe(true);
        expect(r.ofType(FIC).filter((f) => f.parentName === "stack-dev").every((f) => f.inputs.audiences[0] === ORGANIZATION_OF_THIS_STACK)).toBe(true);
    });
});

/**
 * Every Azure call an operation makes must be one its identity may make: the main program run as `pulumi preview`
 * (pulumi.runtime.isDryRun() true) and as `pulumi up`, with every invoke it makes recorded; each invoke mapped to its
 * RBAC action and target resource (deployments/azureActions.ts, sources there); each checked against the role
 * assignments this program gives that identity (role Actions/NotActions from built-in-roles.md, scope covering the
 * resource). Mock outputs are all known, so the runs model a stack that exists: a preview then runs every invoke.
 */
describe("every Azure call an operation makes is one its identity holds", () => {
    interface Call {
        token: string;
        action: string;
        resourceId: string;
    }
    interface Grant {
        scope: string;
        role: string;
    }
    const callsOf = async (stack: string, preview: boolean): Promise<Call[]> => {
        const r = await mainRun(stack, preview);
        return r.invokes.flatMap((inv) => {
            const access = INVOKE_ACCESS[inv.token];
            if (!access) throw new Error(`stack ${stack} calls ${inv.token}, which deployments/azureActions.ts does not map to Azure actions: add it with its source`);
            return access.actions.map((action) => ({ token: inv.token, action, resourceId: access.resourceId(MOCK_SUBSCRIPTION, inv.inputs)! }));
        });
    };
    const grantsOf = (component: string): Grant[] =>
        run.ofType(RA).filter((r) => r.parentName === component).map((r) => ({ scope: r.inputs.scope, role: r.inputs.roleDefinitionId.split("/").pop() }));
    const refused = (calls: Call[], grants: Grant[]) =>
        calls
            .filter((c) => !grants.some((g) => ROLE_PERMISSIONS[g.role] && scopeCovers(g.scope, c.resourceId) && roleAllows(ROLE_PERMISSIONS[g.role], c.action)))
            .map((c) => `${c.token} needs ${c.action} on ${c.resourceId}`);
    const ciPreviewed = (): string[] => parse(readFileSync(join(DEPLOYMENTS_DIR, "..", ".github", "workflows", "ci.yml"), "utf8")).jobs.preview.strategy.matrix.stack;

    it("the role table says what Azure says: Reader reads but lists no keys and signs no SAS; Contributor does both but assigns no roles", () => {
        const [reader, contributor] = [ROLE_PERMISSIONS[CI_READER], ROLE_PERMISSIONS[CONTRIBUTOR]];
        expect(roleAllows(reader, "Microsoft.ContainerService/managedClusters/read")).toBe(true);
        for (const a of ["Microsoft.ServiceBus/namespaces/queues/authorizationRules/listkeys/action", "Microsoft.Storage/storageAccounts/listServiceSas/action"]) {
            expect(roleAllows(reader, a)).toBe(false);
            expect(roleAllows(contributor, a)).toBe(true);
        }
        expect(roleAllows(contributor, "Microsoft.Authorization/roleAssignments/write")).toBe(false);
        expect(scopeCovers("/subscriptions/s/resourceGroups/a-rg", "/subscriptions/s/resourceGroups/a-rg/providers/X/y/z")).toBe(true);
        expect(scopeCovers("/subscriptions/s/resourceGroups/a-rg", "/subscriptions/s/resourceGroups/a-rg2/providers/X/y/z")).toBe(false);
    });

    it("CI's preview of each stack the workflow previews calls only what the CI identity's roles allow where they apply", async () => {
        const ci = grantsOf("ci");
        expect(ci.length).toBeGreaterThan(0);
        const problems: string[] = [];
        for (const stack of ciPreviewed()) for (const p of refused(await callsOf(stack, true), ci)) problems.push(`${stack} preview: ${p}`);
        expect(problems).toEqual([]);
    }, 120_000);

    it("each stack's deployer can make every call its `pulumi up` makes (Contributor on its scope)", async () => {
        const problems: string[] = [];
        const deployed = run.ofType(SETTINGS).map((r) => r.inputs.stack as string);
        for (const stack of deployed) for (const p of refused(await callsOf(stack, false), grantsOf(`stack-${stack}`))) problems.push(`${stack} up: ${p}`);
        expect(problems).toEqual([]);
    }, 120_000);
});
