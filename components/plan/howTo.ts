/**
 * The `howTo` stack output: per workload, the commands to watch it scale, start a load run and verify it, with this
 * stack's names filled in. A load run is an explicit act, never a side effect of `pulumi up`: `sendLoad` creates a
 * one-off Job from the suspended template; the Job's name is the run id, so `verify` checks exactly that run.
 */
import { loadJobName } from "./names";
import { isQueue, workloadEntity } from "./entities";
import { workloadRuntime } from "./workloadImage";
import type { WorkloadSpec } from "./workload";

/** This stack's resolved names. */
export interface HowToTargets {
    readonly resourceGroupName: string;
    /** The namespace or account; each workload's entity comes from its own config (plan/entities.ts). */
    readonly broker: { readonly kind: "serviceBus" | "storageQueue"; readonly resourceName: string };
    readonly resultsAccountName: string;
    readonly resultsContainerName: string;
}

export function howTo(workloads: readonly Pick<WorkloadSpec, "name" | "kind" | "namespace" | "loadTest" | "queue" | "topic" | "image">[], t: HowToTargets) {
    return workloads.map((w) => {
        const e = workloadEntity(w);
        const template = loadJobName(w.name);
        const run = `${template}-$(date +%s)`;
        return {
            workload: w.name,
            watchScaling: `kubectl get ${w.kind === "job" ? "scaledjob,jobs" : "scaledobject,hpa,deployment"},pods -n ${w.namespace} -w`,
            sendLoad: w.loadTest
                ? `RUN=${run}; kubectl create job "$RUN" --from=cronjob/${template} -n ${w.namespace} && echo "run id: $RUN"`
                : "set loadTest on the workload to get an in-cluster load template",
            inspectQueue: !isQueue(e)
                ? `az servicebus topic subscription show -g ${t.resourceGroupName} --namespace-name ${t.broker.resourceName} --topic-name ${e.topic} -n ${e.subscription} --query countDetails.activeMessageCount`
                : t.broker.kind === "serviceBus"
                  ? `az servicebus queue show -g ${t.resourceGroupName} --namespace-name ${t.broker.resourceName} -n ${e.queue} --query countDetails.activeMessageCount`
                  : `az storage message peek --auth-mode login --account-name ${t.broker.resourceName} -q ${e.queue} --num-messages 32`,
            // Only the kedascale worker writes the result blobs `verify` reads.
            verify: w.loadTest && workloadRuntime(w).kind === "worker"
                ? `node consumer/dist/worker.cjs verify --results-account ${t.resultsAccountName} --results-container ${t.resultsContainerName} --run-id "$RUN"`
                : undefined,
        };
    });
}
