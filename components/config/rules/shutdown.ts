/**
 * Shutdown budgets that the placement can honour (FACTS §2, §9; numbers in plan/workload.ts shutdownBudget).
 * A Spot VM gets its Preempt event ≥ 30 s before eviction and AKS drains the node on it: a pod that may land
 * on Spot has ~30 s from SIGTERM to the VM's end, whatever terminationGracePeriodSeconds says. A longer grace
 * would promise the worker time it does not get: it would still be finishing work when the VM disappears,
 * and its in-flight messages would come back only after their lock or visibility timeout, not at once.
 */
import { onContainerApps } from "../containerApps";
import { mayRunOnSpot, SHUTDOWN_MARGIN_SECONDS, SPOT_EVICTION_NOTICE_SECONDS } from "../../plan/shutdown";
import type { StackConfig } from "../stack";
import { error, key, type Problem } from "./problem";

/** An existing cluster's pools are unknown before it is read: assume it may have Spot nodes (the safe side). */
const EXISTING_CLUSTER_POOLS = [{ priority: "Spot" as const }];

export function shutdownRules(cfg: StackConfig): Problem[] {
    const problems: Problem[] = [];
    const pools = cfg.cluster.existing ? EXISTING_CLUSTER_POOLS : cfg.pools;
    cfg.workloads.forEach((w, i) => {
        const grace = w.terminationGracePeriodSeconds;
        // ACA workloads: terminationGracePeriodSeconds is refused outright there (rules/containerApps.ts).
        if (grace === undefined || grace <= SPOT_EVICTION_NOTICE_SECONDS || onContainerApps(w) || !mayRunOnSpot(w, pools)) return;
        const why = w.placement === "spot" ? `placement "spot"` : cfg.cluster.existing ? `placement "any" tolerates Spot, which the existing cluster may have` : `placement "any" tolerates the Spot pool(s)`;
        problems.push(
            error(
                [key("workloads", i, "terminationGracePeriodSeconds"), key("workloads", i, "placement")],
                `terminationGracePeriodSeconds ${grace} cannot be honoured: ${why}, and Spot eviction gives pods about ${SPOT_EVICTION_NOTICE_SECONDS} s ` +
                    `(AKS drains the node on the Preempt event), so the worker's ${grace - SHUTDOWN_MARGIN_SECONDS} s to finish in-flight work would be cut short`,
                `set terminationGracePeriodSeconds to ${SPOT_EVICTION_NOTICE_SECONDS} or less (the worker then gets ${SPOT_EVICTION_NOTICE_SECONDS - SHUTDOWN_MARGIN_SECONDS} s), ` +
                    `or remove it to use the placement's default, or place the workload on regular nodes (placement "system")`,
            ),
        );
    });
    return problems;
}
