/**
 * Preflight of the Azure Container Apps target: which fields mean something on which platform (a setting with no
 * effect is an error, both ways), ACA's CPU/memory allocations, the environment's core quota, its subnet, the names,
 * and the cluster-only sections a stack without AKS workloads would silently ignore. Pure; every limit cited in
 * limits/containerApps.ts.
 */
import { acaSettings, needsCluster, onContainerApps, replicaAllocation, workloadCoresAtMax as coresAtMax, type ContainerAppsConfig, type ContainerAppsWorkload } from "../containerApps";
import { contains, overlaps, parseCidr } from "../cidr";
import type { StackConfig } from "../stack";
import { consumptionAllocation, MIN_SUBNET_PREFIX, smallestAllocationFitting, DEFAULT_ENVIRONMENT_CORE_QUOTA } from "../../limits/containerApps";
import { acaNameViolation, ACA_NAME_RULES, containerAppsEnvironmentName, containerAppsJobName, logAnalyticsWorkspaceName, type AcaNameKind } from "../../plan/containerAppsNames";
import { baseName } from "../../plan/names";
import { given, type RuleContext } from "./context";
import { error, key, warning, type Problem } from "./problem";

/** What the ACA rules read: the stack config with the ACA section and per-workload platform. */
export type AcaStackConfig = Omit<StackConfig, "workloads"> & { readonly containerApps: ContainerAppsConfig; readonly workloads: readonly ContainerAppsWorkload[] };

/**
 * Workload fields only AKS reads, with what they configure there. On an ACA workload each is refused: ACA runs the
 * job's replicas itself (no namespace, node placement, pod grace or ScaledJob controller).
 */
export const AKS_ONLY_WORKLOAD_FIELDS: readonly { path: readonly string[]; what: string }[] = [
    { path: ["namespace"], what: "the Kubernetes namespace" },
    { path: ["placement"], what: "which AKS node pool pods land on" },
    { path: ["spotAffinity"], what: "Spot node affinity" },
    { path: ["inflight"], what: "messages per Deployment pod" },
    { path: ["cooldownPeriod"], what: "the ScaledObject's scale-to-zero delay" },
    { path: ["idleReplicaCount"], what: "the ScaledObject's idle replicas" },
    { path: ["fallback"], what: "the ScaledObject's fallback replicas" },
    { path: ["scaleDown"], what: "the HPA's scale-down policy" },
    { path: ["terminationGracePeriodSeconds"], what: "the pod's shutdown budget" },
    { path: ["loadTest"], what: "the in-cluster load-run CronJob" },
    { path: ["job", "scalingStrategy"], what: "the KEDA ScaledJob's scaling strategy" },
    { path: ["job", "rollout"], what: "the KEDA ScaledJob's rollout" },
    { path: ["job", "successfulJobsHistoryLimit"], what: "the ScaledJob's Job history" },
    { path: ["job", "failedJobsHistoryLimit"], what: "the ScaledJob's Job history" },
];

/** Per workload: fields of the other platform, ACA's kind, limits that ACA would ignore, parallelism. */
export function containerAppsFieldRules(cfg: AcaStackConfig, ctx: RuleContext): Problem[] {
    const problems: Problem[] = [];
    cfg.workloads.forEach((w, i) => {
        const k = (...p: (string | number)[]) => key("workloads", i, ...p);
        const wrote = (...p: (string | number)[]) => given(ctx, "workloads", i, ...p);
        if (!onContainerApps(w)) {
            if (wrote("containerApps")) {
                problems.push(error([k("containerApps"), k("platform")], `containerApps settings have no effect on workload "${w.name}": its platform is "aks" (a KEDA ${w.kind === "job" ? "ScaledJob" : "ScaledObject"})`, `remove containerApps, or set platform to "containerApps"`));
            }
            return;
        }
        if (w.kind !== "job") {
            problems.push(error([k("kind"), k("platform")], `kind "${w.kind}" on platform "containerApps": the ACA target runs event-triggered jobs only (one execution per message), not long-running Deployments`, `set kind to "job", or platform to "aks"`));
        }
        for (const f of AKS_ONLY_WORKLOAD_FIELDS) {
            if (wrote(...f.path)) {
                problems.push(error([k(...f.path), k("platform")], `${f.path.join(".")} configures ${f.what} on AKS; workload "${w.name}" has platform "containerApps", where it has no effect`, `remove ${f.path.join(".")}, or set platform to "aks"`));
            }
        }
        // ACA gives a replica exactly its allocation: a limit above the request would be silently ignored.
        const { requests, limits } = w.resources;
        if (limits.memory !== requests.memory || (limits.cpu !== undefined && limits.cpu !== requests.cpu)) {
            problems.push(
                error(
                    [k("resources", "limits")],
                    `limits ${JSON.stringify(limits)} differ from requests ${JSON.stringify(requests)}; an ACA replica gets exactly its requested allocation, so a different limit has no effect`,
                    `set resources.limits.memory to "${requests.memory}" and remove limits.cpu (or make it "${requests.cpu}")`,
                ),
            );
        }
        const aca = acaSettings(w);
        if (aca.replicaCompletionCount > aca.parallelism) {
            problems.push(error([k("containerApps", "replicaCompletionCount"), k("containerApps", "parallelism")], `replicaCompletionCount ${aca.replicaCompletionCount} is above parallelism ${aca.parallelism}: an execution never has that many replicas to succeed, so every execution would fail`, `make replicaCompletionCount ≤ parallelism`));
        }
        const perExecution = w.target ?? 1;
        if (w.job.mode === "once" && aca.parallelism !== perExecution) {
            problems.push(
                warning(
                    [k("containerApps", "parallelism"), k("target")],
                    `an execution is started per ${perExecution} message${perExecution === 1 ? "" : "s"} (target) but runs ${aca.parallelism} replica${aca.parallelism === 1 ? "" : "s"} taking one message each (job.mode "once"): ${aca.parallelism > perExecution ? "the extra replicas find no message, wait and exit, holding cores meanwhile" : "each execution leaves messages for the next poll"}`,
                    `set containerApps.parallelism equal to target (${perExecution})`,
                ),
            );
        }
    });
    return problems;
}

/** Every ACA replica must request one of the Consumption profile's CPU/memory pairs. */
export function containerAppsAllocationRules(cfg: AcaStackConfig): Problem[] {
    return cfg.workloads.flatMap((w, i) => {
        if (!onContainerApps(w)) return [];
        const { cpu, memoryGi } = replicaAllocation(w);
        if (consumptionAllocation(cpu, memoryGi)) return [];
        const fit = smallestAllocationFitting(cpu, memoryGi);
        return [
            error(
                [key("workloads", i, "resources", "requests")],
                `cpu "${w.resources.requests.cpu}" with memory "${w.resources.requests.memory}" (${cpu} vCPU / ${memoryGi} GiB) is not a Container Apps Consumption allocation: 0.25–4 vCPU in 0.25 steps, with memory exactly 2 GiB per vCPU (0.25/0.5Gi … 4/8Gi)`,
                fit
                    ? `request cpu "${fit.cpu}" and memory "${fit.memoryGi}Gi" (the smallest allowed pair that holds what you asked for)`
                    : `a Consumption replica holds at most 4 vCPU / 8 GiB: lower the requests, or run this workload on AKS`,
            ),
        ];
    });
}

/** Σ maxExecutions × parallelism × cpu of all ACA workloads against the environment's core quota. */
export function containerAppsCapacityRules(cfg: AcaStackConfig, ctx: RuleContext): Problem[] {
    const aca = cfg.workloads.map((w, i) => ({ w, i })).filter(({ w }) => onContainerApps(w) && consumptionAllocation(replicaAllocation(w).cpu, replicaAllocation(w).memoryGi));
    if (aca.length === 0) return [];
    const quota = cfg.containerApps.coreQuota;
    const demand = aca.reduce((sum, { w }) => sum + coresAtMax(w), 0);
    if (demand <= quota) return [];
    const parts = aca.map(({ w }) => `${w.name}: ${w.maxReplicaCount} × ${acaSettings(w).parallelism} × ${replicaAllocation(w).cpu} = ${coresAtMax(w)}`).join("; ");
    const quotaSource = given(ctx, "containerApps", "coreQuota") ? "kedascale:containerApps.coreQuota" : `Azure's default for a Consumption workload profile (${DEFAULT_ENVIRONMENT_CORE_QUOTA}, learn.microsoft.com/azure/container-apps/quotas)`;
    const first = aca[0];
    const perReplicaCores = acaSettings(first.w).parallelism * replicaAllocation(first.w).cpu;
    return [
        error(
            [...aca.map(({ i }) => key("workloads", i, "maxReplicaCount")), key("containerApps", "coreQuota")],
            `the Container Apps jobs at maxReplicaCount (max executions) need ${demand} cores at once (${parts}), more than the environment's core quota of ${quota} (${quotaSource}); executions past the quota fail to start`,
            aca.length === 1
                ? `lower maxReplicaCount to ${Math.floor(quota / perReplicaCores)} or less, or request a quota increase for the environment (up to 5,000 cores) and set kedascale:containerApps.coreQuota to the granted number`
                : `lower the workloads' maxReplicaCount so the total fits ${quota}, or request a quota increase for the environment (up to 5,000 cores) and set kedascale:containerApps.coreQuota to the granted number`,
        ),
    ];
}

/** The optional infrastructure subnet: big enough, inside the VNet, clear of the AKS subnets. */
export function containerAppsNetworkRules(cfg: AcaStackConfig): Problem[] {
    const cidr = cfg.containerApps.infrastructureSubnetCidr;
    if (cidr === undefined) return [];
    const subnet = parseCidr(cidr)!;
    const k = key("containerApps", "infrastructureSubnetCidr");
    const problems: Problem[] = [];
    if (subnet.prefix > MIN_SUBNET_PREFIX) {
        problems.push(error([k], `"${cidr}" is a /${subnet.prefix}; a workload-profiles Container Apps environment needs at least a /${MIN_SUBNET_PREFIX} (learn.microsoft.com/azure/container-apps/networking)`, `use a /${MIN_SUBNET_PREFIX} or larger, e.g. ${cidr.split("/")[0]}/${MIN_SUBNET_PREFIX} if aligned`));
    }
    const vnet = parseCidr(cfg.network.vnetCidr);
    if (vnet && !contains(vnet, subnet)) {
        problems.push(error([k, key("network", "vnetCidr")], `"${cidr}" is not inside the VNet ${cfg.network.vnetCidr}`, `pick a range inside network.vnetCidr (e.g. the default VNet 10.224.0.0/12 has room at 10.226.0.0/27)`));
    }
    if (needsCluster(cfg)) {
        const others: [string, string][] = [[key("network", "nodeSubnetCidr"), cfg.network.nodeSubnetCidr]];
        if (cfg.cluster.virtualNodes) others.push([key("network", "virtualNodeSubnetCidr"), cfg.network.virtualNodeSubnetCidr]);
        for (const [otherKey, other] of others) {
            const range = parseCidr(other);
            if (range && overlaps(range, subnet)) problems.push(error([k, otherKey], `"${cidr}" overlaps ${otherKey.replace("kedascale:", "")} "${other}"; a Container Apps subnet must be dedicated to the environment`, `pick a range of network.vnetCidr that no other subnet uses`));
        }
    }
    return problems;
}

/**
 * A section that configures something the stack does not create is an error: the ACA section without ACA
 * workloads, and the cluster, pools, KEDA and AKS network keys in a stack whose every workload runs on ACA (no
 * cluster is created then; see index.ts).
 */
export function containerAppsEffectRules(cfg: AcaStackConfig, ctx: RuleContext): Problem[] {
    const problems: Problem[] = [];
    const anyAca = cfg.workloads.some(onContainerApps);
    if (!anyAca && configured(ctx, "containerApps")) {
        problems.push(error([key("containerApps"), key("workloads")], `the Container Apps environment settings have no effect: no workload has platform "containerApps", so no environment is created`, `remove kedascale:containerApps, or set platform: containerApps on a workload`));
    }
    if (needsCluster(cfg)) return problems;
    const noCluster = `every workload has platform "containerApps", so the stack creates no AKS cluster, node pools or KEDA release`;
    for (const section of ["cluster", "pools", "keda"] as const) {
        if (configured(ctx, section)) problems.push(error([key(section), key("workloads")], `kedascale:${section} has no effect: ${noCluster}`, `remove kedascale:${section}, or run a workload on platform "aks"`));
    }
    const network = (ctx.raw.network ?? {}) as Record<string, unknown>;
    for (const field of Object.keys(network)) {
        if (field === "vnetCidr" && cfg.containerApps.infrastructureSubnetCidr !== undefined) continue;
        problems.push(
            error(
                [key("network", field), key("workloads")],
                `network.${field} has no effect: ${noCluster}${field === "vnetCidr" ? " and containerApps.infrastructureSubnetCidr is unset (no VNet is created)" : ""}`,
                field === "vnetCidr" ? `remove network.vnetCidr, or set containerApps.infrastructureSubnetCidr inside it` : `remove network.${field}`,
            ),
        );
    }
    return problems;
}

/** ACA resource names (need the stack name, so they run in loadConfig and in tests that pass one). */
export function containerAppsNameRules(cfg: AcaStackConfig, ctx: RuleContext): Problem[] {
    if (ctx.stack === undefined || !cfg.workloads.some(onContainerApps)) return [];
    const base = baseName(cfg.namePrefix, ctx.stack);
    const check = (kind: AcaNameKind, name: string, what: string, keys: string[]): Problem[] => {
        const bad = acaNameViolation(kind, name);
        return bad ? [error(keys, `the ${what}'s name "${name}" ${bad}; Azure needs ${ACA_NAME_RULES[kind].describe}`, `shorten or change ${keys.join(" / ")} (or the stack name) so the name fits`)] : [];
    };
    return [
        ...check("managedEnvironment", containerAppsEnvironmentName(base), "Container Apps environment", [key("namePrefix")]),
        ...check("logAnalyticsWorkspace", logAnalyticsWorkspaceName(base), "Log Analytics workspace", [key("namePrefix")]),
        ...cfg.workloads.flatMap((w, i) => (onContainerApps(w) ? check("containerAppsJob", containerAppsJobName(w.name), `Container Apps job of workload ${w.name}`, [key("workloads", i, "name")]) : [])),
    ];
}

/**
 * True when the user set something under a top-level section: Pulumi.yaml gives every object key the default {} (and
 * pools []), so the key alone is always "given"; an empty value configures nothing.
 */
function configured(ctx: RuleContext, section: string): boolean {
    const v = ctx.raw[section];
    if (Array.isArray(v)) return v.length > 0;
    if (v !== null && typeof v === "object") return Object.keys(v).length > 0;
    return v !== undefined;
}

/** Every ACA rule, in the order rules/index.ts runs them. */
export const CONTAINER_APPS_RULES = [containerAppsFieldRules, containerAppsAllocationRules, containerAppsCapacityRules, containerAppsNetworkRules, containerAppsEffectRules, containerAppsNameRules] as const;
