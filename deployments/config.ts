/**
 * The deployments program's config: parsed and validated before any resource is registered, every problem at
 * once, each naming the key, the bad value and the fix (the main program's Problem/ConfigError). Pure: the
 * caller supplies the raw config and what it read from the repository (the target project's Pulumi.yaml and
 * stack files), so tests run it without Pulumi.
 */
import { ConfigError, error, type Problem } from "../components/config/rules/problem";
import * as names from "../components/plan/names";
import { MAX_FICS_PER_IDENTITY, githubSubjects } from "./subjects";

export const PROJECT = "kedascale-deployments";
const key = (...path: (string | number)[]): string => PROJECT + ":" + path.map((p, i) => (typeof p === "number" ? `[${p}]` : (i > 0 ? "." : "") + p)).join("");

export type Scope = "subscription" | "resourceGroup";
export type Credentials = "oidc" | "esc";

export interface TargetStack {
    /** Stack name of the kedascale project; Pulumi.<name>.yaml must exist in repoDir. */
    readonly name: string;
    /** Branch deployed on push and the base of previewed pull requests. Default `main`. */
    readonly branch: string;
    /** Paths filter: only a push touching these runs a deployment. Default: the program's own inputs and this stack's file. */
    readonly paths: readonly string[];
    /** `pulumi up` on every push to `branch`. Default true. */
    readonly deployCommits: boolean;
    /** `pulumi preview` on every pull request against `branch`. Default true. */
    readonly previewPullRequests: boolean;
    /** Use this stack as the template of per-PR review stacks. Default false; needs `credentials: esc`. */
    readonly reviewStacks: boolean;
    /** Where the deployer's roles apply: the subscription (default) or only the stack's resource group. */
    readonly scope: Scope;
    /** How deployments get Azure credentials: Deployments OIDC (default) or an ESC environment (`escEnvironment`). */
    readonly credentials: Credentials;
    /** `<project>/<environment>` of the ESC environment the stack imports, with `credentials: esc`. */
    readonly escEnvironment?: string;
    /** The main program's resource group for this stack (names.resourceGroupName), and its region. */
    readonly resourceGroup: { readonly name: string; readonly location: string };
}

export interface DeploymentsConfig {
    /** Pulumi organization owning the kedascale stacks; the OIDC audience. Default: this stack's organization. */
    readonly organization: string;
    /** The kedascale project name, read from repoDir/Pulumi.yaml. */
    readonly project: string;
    /** GitHub repository `owner/name` (the Pulumi GitHub app must be installed on it). */
    readonly repository: string;
    /** Directory of the kedascale Pulumi.yaml inside the repository. Default `.`. */
    readonly repoDir: string;
    /** Region of the deployment identities' resource group. Default `westeurope`. */
    readonly location: string;
    /** Resource group holding the deployment identities. Default `kedascale-deployments-rg`. */
    readonly identityResourceGroup: string;
    /** Create the read-only GitHub Actions identity used by CI's `pulumi preview`. Default true. */
    readonly githubActions: boolean;
    readonly stacks: readonly TargetStack[];
}

/** What the program read from the repository at repoDir. */
export interface RepoView {
    /** `name` of repoDir/Pulumi.yaml, or undefined when the file is missing. */
    readonly projectName?: string;
    /** Project-level config defaults of the target project (`kedascale:location`, `kedascale:namePrefix`). */
    readonly projectDefaults: Record<string, unknown>;
    /** Parsed Pulumi.<stack>.yaml per stack that has one. */
    readonly stackFiles: Record<string, { config?: Record<string, unknown>; environment?: unknown }>;
}

const STACK_KEYS = ["name", "branch", "paths", "deployCommits", "previewPullRequests", "reviewStacks", "scope", "credentials", "escEnvironment"];
const TOP_KEYS = ["organization", "project", "repository", "repoDir", "location", "identityResourceGroup", "githubActions", "stacks"];

/** The program's own inputs: a push touching anything else (README, bench, tests) deploys nothing. */
export function defaultPaths(repoDir: string, stack: string): string[] {
    const base = repoDir === "." ? "" : `${repoDir.replace(/\/$/, "")}/`;
    return ["index.ts", "components/**", "consumer/**", "Pulumi.yaml", `Pulumi.${stack}.yaml`, "package.json", "package-lock.json"].map((p) => base + p);
}

/** The resource group the main program creates for a stack: the same function it calls (components/plan/names.ts). */
export function mainResourceGroupName(namePrefix: string, stack: string): string {
    return names.resourceGroupName(names.baseName(namePrefix, stack));
}

export function parseConfig(raw: Record<string, unknown>, repo: RepoView, defaultOrganization: string): DeploymentsConfig {
    const problems: Problem[] = [];
    const bad = (keys: string[], message: string, fix: string) => problems.push(error(keys, message, fix));
    const str = (k: string, v: unknown, fallback: string | undefined, fix: string): string | undefined => {
        if (v === undefined || v === "") return fallback;
        if (typeof v !== "string") bad([key(k)], `must be a string, got ${JSON.stringify(v)}`, fix);
        return typeof v === "string" ? v : fallback;
    };
    const bool = (k: string, v: unknown, fallback: boolean): boolean => {
        if (v === undefined) return fallback;
        if (typeof v === "boolean") return v;
        bad([k], `must be true or false, got ${JSON.stringify(v)}`, `set ${k} to true or false`);
        return fallback;
    };

    for (const k of Object.keys(raw)) if (!TOP_KEYS.includes(k)) bad([key(k)], `is not a setting of this program`, `remove it (known keys: ${TOP_KEYS.join(", ")})`);

    const organization = str("organization", raw.organization, defaultOrganization, "pulumi config set organization <your Pulumi org>")!;
    if (!/^[A-Za-z0-9][-A-Za-z0-9_.]*$/.test(organization)) bad([key("organization")], `"${organization}" is not a Pulumi organization name`, "pulumi config set organization <your Pulumi org>");

    const repository = str("repository", raw.repository, undefined, "pulumi config set repository <owner>/<repo>");
    if (repository === undefined) bad([key("repository")], "is required (the GitHub repository that holds kedascale)", "pulumi config set repository <owner>/<repo>");
    else if (!/^[A-Za-z0-9][-A-Za-z0-9_.]*\/[A-Za-z0-9_.][-A-Za-z0-9_.]*$/.test(repository)) bad([key("repository")], `"${repository}" is not <owner>/<repo>`, "pulumi config set repository <owner>/<repo>, e.g. contoso/kedascale");

    const repoDir = str("repoDir", raw.repoDir, ".", "set repoDir to the folder of kedascale's Pulumi.yaml inside the repository")!;
    if (repoDir.startsWith("/") || repoDir.split("/").includes("..")) bad([key("repoDir")], `"${repoDir}" must be a relative path inside the repository`, "set repoDir to e.g. . or infra/kedascale");
    else if (repo.projectName === undefined) bad([key("repoDir")], `"${repoDir}" holds no Pulumi.yaml`, "set repoDir to the folder of kedascale's Pulumi.yaml");

    const project = str("project", raw.project, repo.projectName, "remove it: it is read from Pulumi.yaml") ?? "kedascale";
    if (repo.projectName !== undefined && project !== repo.projectName) {
        bad([key("project")], `"${project}" differs from the project in ${repoDir}/Pulumi.yaml ("${repo.projectName}"): Deployments would target a project that the source does not build`, "remove the key (it defaults to Pulumi.yaml's name)");
    }
    const location = str("location", raw.location, "westeurope", "set location to an Azure region, e.g. westeurope")!;
    const identityResourceGroup = str("identityResourceGroup", raw.identityResourceGroup, "kedascale-deployments-rg", "set identityResourceGroup to a resource group name")!;
    if (!/^[-\w._()]{1,89}[-\w_()]$/.test(identityResourceGroup)) bad([key("identityResourceGroup")], `"${identityResourceGroup}" is not a valid resource group name`, "use 1–90 letters, digits, '-', '_', '.', '()', not ending in '.'");
    const githubActions = bool(key("githubActions"), raw.githubActions, true);

    const stacks: TargetStack[] = [];
    const rawStacks = raw.stacks;
    if (!Array.isArray(rawStacks) || rawStacks.length === 0) {
        bad([key("stacks")], `must list at least one kedascale stack, got ${JSON.stringify(rawStacks)}`, `pulumi config set --path 'stacks[0].name' dev`);
    } else {
        const seen = new Set<string>();
        rawStacks.forEach((entry: unknown, i: number) => {
            const k = (f: string) => key("stacks", i, f);
            if (!entry || typeof entry !== "object" || Array.isArray(entry)) {
                bad([key("stacks", i)], `must be an object with at least a name, got ${JSON.stringify(entry)}`, `pulumi config set --path 'stacks[${i}].name' <stack>`);
                return;
            }
            const e = entry as Record<string, unknown>;
            for (const f of Object.keys(e)) if (!STACK_KEYS.includes(f)) bad([k(f)], "is not a stack setting", `remove it (known: ${STACK_KEYS.join(", ")})`);
            const name = typeof e.name === "string" ? e.name : "";
            if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
                bad([k("name")], `${JSON.stringify(e.name)} is not a stack name`, "use letters, digits, '-', '_' or '.'");
                return;
            }
            if (seen.has(name)) bad([k("name")], `"${name}" is listed twice`, "list each stack once");
            seen.add(name);
            const file = repo.stackFiles[name];
            if (repo.projectName !== undefined && file === undefined) bad([k("name")], `"${name}" has no Pulumi.${name}.yaml in ${repoDir}: Deployments would run a stack with no config`, `add Pulumi.${name}.yaml to the repository, or remove the entry`);

            const branch = typeof e.branch === "string" ? e.branch : e.branch === undefined ? "main" : "";
            if (!branch || branch.startsWith("refs/") || /[\s~^:?*[\\]|\.\.|\/$/.test(branch)) bad([k("branch")], `${JSON.stringify(e.branch)} is not a branch name`, "give the short branch name, e.g. main");

            const deployCommits = bool(k("deployCommits"), e.deployCommits, true);
            const previewPullRequests = bool(k("previewPullRequests"), e.previewPullRequests, true);
            const reviewStacks = bool(k("reviewStacks"), e.reviewStacks, false);

            let paths = defaultPaths(repoDir, name);
            if (e.paths !== undefined) {
                if (!Array.isArray(e.paths) || e.paths.length === 0 || e.paths.some((p) => typeof p !== "string" || p === "" || p.startsWith("/"))) {
                    bad([k("paths")], `${JSON.stringify(e.paths)} must be a non-empty list of repository-relative glob patterns`, `e.g. ["index.ts", "components/**", "Pulumi.${name}.yaml"], or remove it for the default`);
                } else paths = e.paths as string[];
                if (!deployCommits && !previewPullRequests && !reviewStacks) {
                    bad([k("paths")], "filters pushes and pull requests, but this stack has deployCommits, previewPullRequests and reviewStacks all false: it would have no effect", "remove paths, or turn one of them on");
                }
            }

            const scope = e.scope === undefined ? "subscription" : e.scope;
            if (scope !== "subscription" && scope !== "resourceGroup") bad([k("scope")], `${JSON.stringify(e.scope)} is not a scope`, `use "subscription" or "resourceGroup"`);

            const credentials = e.credentials === undefined ? "oidc" : e.credentials;
            if (credentials !== "oidc" && credentials !== "esc") bad([k("credentials")], `${JSON.stringify(e.credentials)} is not a credential source`, `use "oidc" (Deployments OIDC) or "esc" (an ESC azure-login environment)`);
            const escEnvironment = typeof e.escEnvironment === "string" ? e.escEnvironment : undefined;
            if (credentials === "esc") {
                if (!escEnvironment || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(escEnvironment)) {
                    bad([k("escEnvironment")], `${JSON.stringify(e.escEnvironment)} must be <project>/<environment> with credentials: esc`, `e.g. kedascale/azure-${name}`);
                } else {
                    const imports = Array.isArray(file?.environment) ? (file!.environment as unknown[]) : [];
                    if (file !== undefined && !imports.includes(escEnvironment)) {
                        bad([k("escEnvironment")], `Pulumi.${name}.yaml does not import "${escEnvironment}" (its environment: ${JSON.stringify(file.environment ?? [])}), so its deployments would get no Azure credentials`, `add "environment: [${escEnvironment}]" to Pulumi.${name}.yaml`);
                    }
                }
            } else if (e.escEnvironment !== undefined) {
                bad([k("escEnvironment")], `is set but credentials is "${String(credentials)}": it would have no effect`, "remove escEnvironment, or set credentials: esc");
            }
            if (reviewStacks && credentials !== "esc") {
                // Deployments OIDC subjects name the stack, and Azure matches subjects exactly (no wildcards):
                // review stacks get a new name per pull request, so no federated credential can be made for them ahead.
                bad([k("reviewStacks")], `is true with credentials "${String(credentials)}": review stacks get a new stack name per pull request, and Azure federated credentials match the OIDC subject (which names the stack) exactly`, `set credentials: esc and escEnvironment (the review stacks inherit the template's environment import), or set reviewStacks: false`);
            }

            const cfg = file?.config ?? {};
            const namePrefix = String(cfg["kedascale:namePrefix"] ?? repo.projectDefaults["kedascale:namePrefix"] ?? "kedascale");
            const rgLocation = String(cfg["kedascale:location"] ?? repo.projectDefaults["kedascale:location"] ?? "westeurope");
            stacks.push({
                name,
                branch,
                paths,
                deployCommits,
                previewPullRequests,
                reviewStacks,
                scope: scope as Scope,
                credentials: credentials as Credentials,
                escEnvironment: credentials === "esc" ? escEnvironment : undefined,
                resourceGroup: { name: mainResourceGroupName(namePrefix, name), location: rgLocation },
            });
        });
    }

    // Entra allows at most 20 federated credentials per identity (FACTS §4). Each stack has its own deployer
    // identity (4 Deployments subjects, or 1 ESC subject); the CI identity has one subject per pull-request event
    // plus one per branch pushed to.
    if (githubActions && repository) {
        const count = githubSubjects(repository, stacks.map((s) => s.branch)).length;
        if (count > MAX_FICS_PER_IDENTITY) bad([key("stacks")], `the CI identity would need ${count} federated credentials (one per distinct branch plus pull requests)`, `use at most ${MAX_FICS_PER_IDENTITY - 1} distinct branches, or set githubActions: false`);
    }

    if (problems.length > 0) throw new ConfigError(problems);
    return { organization, project, repository: repository!, repoDir, location, identityResourceGroup, githubActions, stacks };
}
