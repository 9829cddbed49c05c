/**
 * Builds a stack's config exactly as the Pulumi CLI hands it to the program: Pulumi.yaml `config:` defaults,
 * overridden key by key by Pulumi.<stack>.yaml, every value a string (objects and arrays as JSON).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export const REPO_ROOT = join(__dirname, "..", "..");

interface ProjectFile {
    name: string;
    config?: Record<string, { type: string; description?: string; default?: unknown }>;
}

export function readProject(): ProjectFile {
    return parse(readFileSync(join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as ProjectFile;
}

/** Every stack with a Pulumi.<stack>.yaml in the repo: a new stack file is tested by existing tests. */
export function stackNames(): string[] {
    return readdirSync(REPO_ROOT)
        .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

export function readStackFile(stack: string): Record<string, unknown> {
    const doc = parse(readFileSync(join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> } | null;
    return doc?.config ?? {};
}

const encode = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value));

/** Project defaults, then stack values, then per-test overrides (whole keys, as `pulumi config set` does). */
export function stackConfig(stack: string, overrides: Record<string, unknown> = {}): Record<string, string> {
    const project = readProject();
    const merged: Record<string, string> = {};
    for (const [key, decl] of Object.entries(project.config ?? {})) {
        const fullKey = key.includes(":") ? key : `${project.name}:${key}`;
        if (decl.default !== undefined) merged[fullKey] = encode(decl.default);
    }
    for (const [key, value] of Object.entries({ ...readStackFile(stack), ...overrides })) {
        const fullKey = key.includes(":") ? key : `${project.name}:${key}`;
        if (value === undefined) delete merged[fullKey];
        else merged[fullKey] = encode(value);
    }
    return merged;
}

/**
 * Where a stack's workloads run, read from its stack file: a cluster kedascale creates, an existing one, a laptop
 * cluster from the kubeconfig with Azurite and no Azure resource (cluster.local), or none (ACA only).
 */
export type ClusterKind = "created" | "existing" | "local" | "none";

export function clusterKind(stack: string): ClusterKind {
    const file = readStackFile(stack);
    if ((file["kedascale:cluster"] as { existing?: unknown } | undefined)?.existing) return "existing";
    if ((file["kedascale:cluster"] as { local?: unknown } | undefined)?.local) return "local";
    const workloads = (file["kedascale:workloads"] ?? []) as { platform?: string }[];
    return workloads.length > 0 && workloads.every((w) => w.platform === "containerApps") ? "none" : "created";
}

/** The stack file's workloads that run on AKS under KEDA (not on Container Apps). */
export function kedaWorkloads<W extends { platform?: string }>(stack: string): W[] {
    return ((readStackFile(stack)["kedascale:workloads"] ?? []) as W[]).filter((w) => w.platform !== "containerApps");
}
