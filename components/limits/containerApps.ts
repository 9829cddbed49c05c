/**
 * Azure Container Apps limits the ACA preflight checks against (components/config/rules/containerApps.ts), each with
 * the page it comes from. Re-check them when Microsoft changes the Consumption profile.
 */

/**
 * Cores a Consumption workload profile may hold at once across the environment: default 100, raisable to 5,000
 * by a quota request (learn.microsoft.com/azure/container-apps/quotas, "Workload Profiles Environments →
 * Consumption workload profile → Cores | Environment | 100 | 5,000"; FACTS §7). Counted as the sum of the cores
 * requested by every active replica, so a job at maxExecutions × parallelism replicas of `cpu` cores needs that
 * product. Past it, executions fail to provision or are held back ("Maximum Allowed Cores exceeded for the
 * Managed Environment").
 */
export const DEFAULT_ENVIRONMENT_CORE_QUOTA = 100;
export const MAX_ENVIRONMENT_CORE_QUOTA = 5_000;

/** Event-job scale defaults (input.d.ts JobScaleArgs: "maxExecutions … default 100", "pollingInterval … Defaults to 30s"; FACTS §7). */
export const DEFAULT_MAX_EXECUTIONS = 100;
export const DEFAULT_POLLING_INTERVAL = 30;

/** Most cores one replica may have on the Consumption workload profile (same quotas page: Cores | Replica | 4). */
export const MAX_REPLICA_CORES = 4;

/**
 * CPU/memory combinations a replica of the Consumption workload profile may request: 0.25 vCPU steps from 0.25 to
 * 4, memory exactly twice the cores in Gi (MicrosoftDocs/azure-docs articles/container-apps/containers.md,
 * "allocations": 0.25/0.5Gi … 2.0/4.0Gi on both plans, 2.25/4.5Gi … 4.0/8.0Gi on the Consumption workload profile
 * only). Anything else is refused by the API when the job is created.
 */
export const CONSUMPTION_ALLOCATIONS: readonly { readonly cpu: number; readonly memoryGi: number }[] = Array.from({ length: 16 }, (_, i) => ({
    cpu: (i + 1) * 0.25,
    memoryGi: (i + 1) * 0.5,
}));

/** The allocation a (cores, GiB) pair is, or undefined when ACA refuses it. */
export function consumptionAllocation(cpu: number, memoryGi: number): { cpu: number; memoryGi: number } | undefined {
    return CONSUMPTION_ALLOCATIONS.find((a) => Math.abs(a.cpu - cpu) < 1e-9 && Math.abs(a.memoryGi - memoryGi) < 1e-9);
}

/** The smallest allowed allocation that holds at least `cpu` cores and `memoryGi` GiB; undefined past 4 vCPU / 8 GiB. */
export function smallestAllocationFitting(cpu: number, memoryGi: number): { cpu: number; memoryGi: number } | undefined {
    return CONSUMPTION_ALLOCATIONS.find((a) => a.cpu >= cpu - 1e-9 && a.memoryGi >= memoryGi - 1e-9);
}

/**
 * A subnet for a workload-profiles environment must be at least a /27 and delegated to Microsoft.App/environments
 * (learn.microsoft.com/azure/container-apps/networking, "Subnet": workload profiles /27 minimum, Consumption-only
 * /23; custom-virtual-networks.md: delegate to Microsoft.App/environments). The platform reserves addresses from it
 * as the environment scales, so a larger subnet leaves room; /27 is the floor.
 */
export const MIN_SUBNET_PREFIX = 27;
export const SUBNET_DELEGATION = "Microsoft.App/environments";

/** The one workload profile this program uses: serverless, per-second billing, no nodes to size. */
export const CONSUMPTION_PROFILE = { name: "Consumption", workloadProfileType: "Consumption" } as const;

/** Log Analytics PerGB2018 retention bounds, days (operationalinsights Workspace.retentionInDays). */
export const LOG_RETENTION_DAYS = { min: 30, max: 730 } as const;
