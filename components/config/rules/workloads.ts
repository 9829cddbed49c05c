/** KEDA's own admission rules (v2.20 CEL, FACTS §9) and placement sanity, checked before anything is registered. */
import { onContainerApps } from "../containerApps";
import type { StackConfig } from "../stack";
import { error, key, warning, type Problem } from "./problem";

/** KEDA names its HPA keda-hpa-<name>, which must fit 63 characters. */
const MAX_NAME = 54;

export function workloadRules(cfg: StackConfig): Problem[] {
    const problems: Problem[] = [];
    const seen = new Map<string, number>();
    cfg.workloads.forEach((w, i) => {
        const k = (...path: string[]) => key("workloads", i, ...path);
        if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(w.name) || w.name.length > MAX_NAME) {
            problems.push(error([k("name")], `"${w.name}" is not a DNS-1123 name of at most ${MAX_NAME} characters`, `use lowercase letters, digits and '-', at most ${MAX_NAME} long (KEDA's HPA is keda-hpa-<name>)`));
        }
        // Unique across namespaces, not per namespace: the name also makes the Azure identity (<prefix>-<stack>-<name>)
        // and the Pulumi component (workload-<name>), which have no namespace.
        if (seen.has(w.name)) {
            const j = seen.get(w.name)!;
            problems.push(error([key("workloads", j, "name"), k("name")], `two workloads are named "${w.name}" (namespaces "${cfg.workloads[j].namespace}" and "${w.namespace}"): their identities and Pulumi resources would collide`, "give every workload a unique name, whatever its namespace"));
        }
        seen.set(w.name, i);
        if (w.minReplicaCount > w.maxReplicaCount) {
            problems.push(error([k("minReplicaCount"), k("maxReplicaCount")], `minReplicaCount ${w.minReplicaCount} is greater than maxReplicaCount ${w.maxReplicaCount}`, "make minReplicaCount ≤ maxReplicaCount"));
        }
        if (w.pollingInterval < 1) problems.push(error([k("pollingInterval")], `pollingInterval ${w.pollingInterval} is below KEDA's minimum of 1 second`, "use 1 or more (30 is KEDA's default; Service Bus asks for ~60 per entity)"));
        if (w.idleReplicaCount !== undefined) {
            if (w.idleReplicaCount !== 0) problems.push(error([k("idleReplicaCount")], `idleReplicaCount ${w.idleReplicaCount}: KEDA supports only 0`, "set idleReplicaCount to 0 or remove it"));
            else if (w.minReplicaCount <= w.idleReplicaCount) problems.push(error([k("idleReplicaCount"), k("minReplicaCount")], `idleReplicaCount must be less than minReplicaCount (${w.minReplicaCount})`, "raise minReplicaCount to at least 1, or remove idleReplicaCount"));
        }
        if (w.kind === "job") {
            for (const field of ["fallback", "idleReplicaCount", "scaleDown"] as const) {
                if (w[field] !== undefined) problems.push(error([k(field)], `${field} applies to ScaledObjects only, but kind is "job"`, `remove ${field}, or use kind "deployment"`));
            }
            if (w.job.rollout !== "gradual") {
                problems.push(warning([k("job", "rollout")], `rollout "${w.job.rollout}" deletes running Jobs on every ScaledJob change (keda#1021)`, `use "gradual" unless losing in-flight Jobs on deploy is acceptable`));
            }
            if (w.job.scalingStrategy !== "default" && (w.target ?? 1) === 1) {
                problems.push(warning([k("job", "scalingStrategy")], `"${w.job.scalingStrategy}" with one message per Job over-creates Jobs, because both Azure scalers count in-flight messages (FACTS §9)`, `use "default" with target 1`));
            }
        }
        if (cpuMillis(w.resources.limits.cpu) !== undefined && cpuMillis(w.resources.limits.cpu)! < cpuMillis(w.resources.requests.cpu)!) {
            problems.push(error([k("resources", "limits", "cpu")], `limit ${w.resources.limits.cpu} is below request ${w.resources.requests.cpu}`, "make limits ≥ requests"));
        }
        if (memoryBytes(w.resources.limits.memory) < memoryBytes(w.resources.requests.memory)) {
            problems.push(error([k("resources", "limits", "memory")], `limit ${w.resources.limits.memory} is below request ${w.resources.requests.memory}`, "make limits ≥ requests"));
        }
    });
    return problems;
}

function cpuMillis(q: string | undefined): number | undefined {
    if (q === undefined) return undefined;
    return q.endsWith("m") ? Number(q.slice(0, -1)) : Number(q) * 1000;
}

function memoryBytes(q: string): number {
    const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[q.slice(-2) as "Ki" | "Mi" | "Gi"];
    return Number(q.slice(0, -2)) * unit;
}

/** Spot placement needs a Spot pool (its own rule: it reads pools, so a broken pools section skips only this). */
export function spotPlacementRules(cfg: StackConfig): Problem[] {
    const hasSpot = cfg.pools.some((p) => p.priority === "Spot");
    return cfg.workloads.flatMap((w, i) =>
        w.placement === "spot" && !hasSpot && !onContainerApps(w)
            ? [error([key("workloads", i, "placement"), key("pools")], `placement "spot" but no pool under kedascale:pools has priority "Spot"; pods would stay Pending`, `add a Spot pool, or set placement to "any" or "system"`)]
            : [],
    );
}
