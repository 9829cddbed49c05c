/** How long a workload's pods get to stop, from where they may run (pure; rules/shutdown.ts checks config against it). */
import type { PoolConfig } from "../config/schema";
import type { WorkloadConfig } from "../config/workloads";

/** The fields a budget reads (a WorkloadSpec or a config workload). */
type WorkloadSpec = Pick<WorkloadConfig, "placement" | "terminationGracePeriodSeconds">;

/**
 * Shutdown budgets (FACTS §2, §9). A pod that can land on a Spot node gets at most ~30 s: Azure sends the
 * Preempt scheduled event ≥ 30 s before eviction and AKS drains the node on it (aks-docs node-auto-drain.md),
 * whatever terminationGracePeriodSeconds says. Elsewhere (scale-in, autoscaler scale-down, upgrades) kubelet honours
 * the pod's grace, and the autoscaler up to maxGracefulTerminationSec (600 s).
 * The worker stops receiving at SIGTERM, lets in-flight work finish for KEDASCALE_GRACE_MS, then releases what is
 * left (one abandon / update call per message) and exits; SHUTDOWN_MARGIN_SECONDS is the time kept for that release.
 *   Spot-capable placement: terminationGracePeriodSeconds 30, worker grace 20 s, 10 s to release.
 *   Regular nodes only:     terminationGracePeriodSeconds 60, worker grace 50 s, 10 s to release.
 */
export const SPOT_EVICTION_NOTICE_SECONDS = 30;
export const REGULAR_GRACE_SECONDS = 60;
export const SHUTDOWN_MARGIN_SECONDS = 10;

export interface ShutdownBudget {
    /** Pod terminationGracePeriodSeconds. */
    readonly terminationGracePeriodSeconds: number;
    /** KEDASCALE_GRACE_MS: how long in-flight work may finish before it is released. */
    readonly workerGraceMs: number;
    /** Whether the pod may be placed on a Spot node (and so be evicted with ~30 s notice). */
    readonly spot: boolean;
}

/** A pod may land on Spot when it requires or prefers Spot, or tolerates it ("any") and a Spot pool exists. */
export function mayRunOnSpot(w: Pick<WorkloadSpec, "placement">, pools: readonly Pick<PoolConfig, "priority">[]): boolean {
    return mayLandOnSpot(w, pools.some((p) => p.priority === "Spot"));
}

/** The same, given whether the cluster has Spot nodes at all. */
export function mayLandOnSpot(w: Pick<WorkloadSpec, "placement">, spotNodes: boolean): boolean {
    // virtualNodes: ACI only (no Spot toleration); spotThenVirtualNodes prefers Spot.
    if (w.placement === "system" || w.placement === "virtualNodes") return false;
    return w.placement === "spot" || w.placement === "spotThenVirtualNodes" || spotNodes;
}

/** The budget from placement, or from an explicit terminationGracePeriodSeconds (rules/shutdown.ts refuses one Spot cannot honour). */
export function shutdownBudget(w: Pick<WorkloadSpec, "placement" | "terminationGracePeriodSeconds">, pools: readonly Pick<PoolConfig, "priority">[]): ShutdownBudget {
    return shutdownBudgetFor(w, pools.some((p) => p.priority === "Spot"));
}

/** The budget, given whether the cluster has Spot nodes (ScaledWorkload's `spotNodes`). */
export function shutdownBudgetFor(w: Pick<WorkloadSpec, "placement" | "terminationGracePeriodSeconds">, spotNodes: boolean): ShutdownBudget {
    const spot = mayLandOnSpot(w, spotNodes);
    const total = w.terminationGracePeriodSeconds ?? (spot ? SPOT_EVICTION_NOTICE_SECONDS : REGULAR_GRACE_SECONDS);
    return { terminationGracePeriodSeconds: total, workerGraceMs: Math.max(1, total - SHUTDOWN_MARGIN_SECONDS) * 1000, spot };
}
