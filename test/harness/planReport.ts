/**
 * `npm run plan` as text for a person: what a stack would create (a tree by component), what it needs in
 * regional quota, and every warning and preflight error. Pure: a settled mock run in, lines out.
 */
import { NAME_INPUT } from "./mockState";
import type { RecordedResource, SettledRun } from "./programUnderMocks";
import type { WorkloadSummary } from "../../components/plan/workloadSummary";

/** The name Azure or Kubernetes will see (or the chart a Helm release installs), where the inputs say it. */
function deployedName(r: RecordedResource): string | undefined {
    const i = r.inputs;
    if (r.type === "kubernetes:helm.sh/v3:Release") return `chart ${i.chart}@${i.version} in ${i.namespace}`;
    if (r.type.startsWith("kubernetes:")) return i.metadata?.name ? `${i.metadata.namespace ? `${i.metadata.namespace}/` : ""}${i.metadata.name}` : undefined;
    const name = i[NAME_INPUT[r.type] ?? ""];
    return typeof name === "string" ? name : undefined;
}

/** `azure-native:containerservice:AgentPool` → `containerservice:AgentPool`; components keep their token. */
const shortType = (type: string) => type.replace(/^azure-native:/, "").replace(/^kubernetes:/, "k8s:");

function treeLines(resources: readonly RecordedResource[]): string[] {
    const children = new Map<string | undefined, RecordedResource[]>();
    const names = new Set(resources.map((r) => r.name));
    for (const r of resources) {
        // A parent that is not a recorded resource (the Stack) makes a root.
        const parent = r.parentName && names.has(r.parentName) ? r.parentName : undefined;
        children.set(parent, [...(children.get(parent) ?? []), r]);
    }
    const lines: string[] = [];
    const walk = (parent: string | undefined, indent: string) => {
        const list = children.get(parent) ?? [];
        list.forEach((r, i) => {
            const last = i === list.length - 1;
            const shown = deployedName(r);
            lines.push(`${indent}${last ? "└─" : "├─"} ${shortType(r.type)}  ${r.name}${shown && shown !== r.name ? `  (${shown})` : ""}`);
            walk(r.name, indent + (last ? "   " : "│  "));
        });
    };
    walk(undefined, "");
    return lines;
}

interface CapacityOutput {
    maxNodes: number;
    peakNodes?: number;
    pools: { pool: string; vmSize: string; priority: string; maxNodes: number; surgeNodes: number; vcpusPerNode: number | null; vcpusAtMax: number | null; quota: string }[];
    quotaToRequest: Record<string, number>;
    howToCheck: string;
}

function capacityLines(c: CapacityOutput | undefined): string[] {
    if (!c) return ["  (not computed: the program stopped before it)"];
    // Surge: upgrade surge nodes at max (plan/pools.ts surgeNodes; none on Spot pools).
    const rows = [["pool", "vm size", "priority", "max nodes", "surge", "vCPUs/node", "vCPUs at max + surge", "quota"]];
    for (const p of c.pools) rows.push([p.pool, p.vmSize, p.priority, String(p.maxNodes), String(p.surgeNodes), String(p.vcpusPerNode ?? "?"), String(p.vcpusAtMax ?? "?"), p.quota]);
    const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => r[col].length)));
    const table = rows.map((r) => "  " + r.map((cell, col) => cell.padEnd(widths[col])).join("  ").trimEnd());
    return [
        ...table,
        `  nodes at most: ${c.maxNodes}${c.peakNodes !== undefined && c.peakNodes !== c.maxNodes ? ` (${c.peakNodes} during an upgrade)` : ""}`,
        "  regional quota to have approved before `pulumi up`:",
        ...Object.entries(c.quotaToRequest).map(([q, n]) => `    ${q}: ${n} vCPUs`),
        `  check: ${c.howToCheck}`,
    ];
}

/** Container Apps jobs: cores at every job's max executions against the environment's core quota (preflight checked it). */
function containerAppsLines(c: { coreQuota: number; coresAtMax: number; jobs: string[] } | null | undefined): string[] {
    if (!c) return [];
    return [
        "Container Apps environment (Consumption workload profile):",
        `  jobs: ${c.jobs.join(", ")}`,
        `  cores at max executions: ${c.coresAtMax} of the environment's core quota ${c.coreQuota} (default 100; raise it with a quota request on the environment)`,
        "",
    ];
}

/** Per workload (the `workloads` output, plan/workloadSummary.ts): its entity, image and pull, and every grant on it. */
function workloadLines(ws: WorkloadSummary[] | undefined): string[] {
    if (!ws || ws.length === 0) return [];
    const out = ["Workloads (each on its own entity; grants scoped to it):"];
    for (const w of ws) {
        out.push(`  ${w.workload} (${w.runsOn})`);
        out.push(`    reads:  ${w.entity.what} in ${w.entity.broker} ${w.entity.in}; gives up to ${w.entity.deadLetter}`);
        out.push(`    runs:   ${w.image.runs}: ${w.image.ref}`);
        out.push(`    pulls:  ${w.image.pull}`);
        for (const g of w.grants) out.push(`    grant:  ${g.to}: ${g.role} on ${g.on}`);
        if (w.credential) out.push(`    secret: ${w.credential}`);
    }
    return [...out, ""];
}

/** The whole report, and whether the stack would deploy (no preflight error, the program ran to the end). */
export function planReport(stack: string, run: SettledRun): { text: string; ok: boolean } {
    const err = run.error;
    const errorText = err instanceof Error ? err.message : err === undefined ? undefined : String(err);
    const out: string[] = [`kedascale plan for stack "${stack}" (offline: the real program under Pulumi mocks, no Azure calls)`, ""];
    if (errorText) {
        // Preflight's own refusal (ConfigError via RunError) reads as a list; anything else is a program failure.
        const refused = errorText.startsWith("kedascale config is invalid");
        out.push(refused ? "Preflight refused this config: nothing would be deployed." : "The program failed before it finished:");
        out.push("", ...errorText.split("\n").map((l) => `  ${l}`), "");
    } else {
        out.push(`Resources (${run.resources.length}), by component:`, ...treeLines(run.resources).map((l) => `  ${l}`), "");
        out.push(...workloadLines(run.outputs.workloads as WorkloadSummary[] | undefined));
        // A stack whose every workload runs on Container Apps has no cluster, so no node capacity (capacity is null).
        if (run.outputs.capacity !== null) out.push("Capacity and quota:", ...capacityLines(run.outputs.capacity as CapacityOutput | undefined), "");
        out.push(...containerAppsLines(run.outputs.containerApps as Parameters<typeof containerAppsLines>[0]));
    }
    out.push(run.warnings.length ? `Warnings (${run.warnings.length}):` : "Warnings: none", ...run.warnings.map((w) => `  - ${w}`));
    return { text: out.join("\n") + "\n", ok: errorText === undefined };
}
