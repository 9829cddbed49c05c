/**
 * Stack config → args of the Container Apps target (issue 13): workloads with platform containerApps.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ContainerAppsEnvironmentArgs } from "../azure/containerAppsEnvironment";
import type { ContainerAppsJobArgs } from "../azure/containerAppsJob";
import { acaSettings, replicaAllocation, type ContainerAppsWorkload } from "../config/containerApps";
import type { ContainerAppsJobSettings } from "../plan/containerAppsJob";
import * as acaNames from "../plan/containerAppsNames";
import * as names from "../plan/names";
import { handlerFlags } from "../plan/handler";
import { workloadRuntime } from "../plan/workloadImage";
import type { StackContext } from "./core";

// Azure Container Apps target (issue 13): workloads with platform containerApps

/** Pulumi name of an ACA workload's component (`aca-<workload>`). */
export const containerAppsJobResourceName = (w: { name: string }) => acaNames.containerAppsPulumiName(w.name);

/**
 * The environment every ACA workload shares. With containerApps.infrastructureSubnetCidr its subnet goes into the
 * stack's VNet: the cluster's (`network`, when the stack has one) or one the environment creates from
 * network.vnetCidr.
 */
export function containerAppsEnvironmentArgs(ctx: StackContext, network?: { vnet: pulumi.Resource & { name: pulumi.Output<string> }; subnets: pulumi.Resource[] }): ContainerAppsEnvironmentArgs {
    const aca = ctx.config.containerApps;
    return {
        resourceGroupName: ctx.resourceGroupName,
        location: ctx.location,
        environmentName: acaNames.containerAppsEnvironmentName(ctx.baseName),
        workspaceName: acaNames.logAnalyticsWorkspaceName(ctx.baseName),
        logRetentionDays: aca.logRetentionDays,
        vnetIntegration:
            aca.infrastructureSubnetCidr === undefined
                ? undefined
                : network
                  ? { vnetName: network.vnet.name, subnetCidr: aca.infrastructureSubnetCidr, dependsOn: network.subnets }
                  : { vnetName: names.vnetName(ctx.baseName), createVnetCidr: ctx.config.network.vnetCidr, subnetCidr: aca.infrastructureSubnetCidr },
    };
}

/**
 * An ACA workload's job settings from the fields it shares with AKS workloads: requests → the replica's
 * allocation, target/activation → the scale rule, min/maxReplicaCount → min/max executions,
 * job.activeDeadlineSeconds → replicaTimeout, job.backoffLimit → replicaRetryLimit, job.mode → --once/--drain.
 */
export function containerAppsJobSettings(w: ContainerAppsWorkload): ContainerAppsJobSettings {
    const aca = acaSettings(w);
    const { cpu, memoryGi } = replicaAllocation(w);
    return {
        mode: w.job.mode,
        cpu,
        memoryGi,
        messagesPerExecution: w.target ?? 1,
        activationMessages: w.activation,
        pollingInterval: w.pollingInterval,
        minExecutions: w.minReplicaCount,
        maxExecutions: w.maxReplicaCount,
        parallelism: aca.parallelism,
        replicaCompletionCount: aca.replicaCompletionCount,
        replicaTimeout: w.job.activeDeadlineSeconds,
        replicaRetryLimit: w.job.backoffLimit,
        // exec: the worker runs inside the team's image (built FROM the worker image, whose ENTRYPOINT stays), with the
        // command after `--`; http is refused on ACA (config/rules/handler.ts).
        ...(w.handler?.exec
            ? { teamImage: { args: ["work", `--${w.job.mode}`, ...handlerFlags(workloadRuntime(w))] } }
            : w.image !== undefined
              ? { teamImage: { ...(w.command ? { command: [...w.command] } : {}), ...(w.args ? { args: [...w.args] } : {}) } }
              : {}),
        ...(Object.keys(w.env).length > 0 ? { env: { ...w.env } } : {}),
    };
}

export function containerAppsJobArgs(
    ctx: StackContext,
    w: ContainerAppsWorkload,
    wiring: Pick<ContainerAppsJobArgs, "environmentId" | "messaging" | "image" | "registry">,
): ContainerAppsJobArgs {
    return {
        job: containerAppsJobSettings(w),
        resourceGroupName: ctx.resourceGroupName,
        location: ctx.location,
        jobName: acaNames.containerAppsJobName(w.name),
        workerIdentityName: acaNames.acaWorkerIdentityName(ctx.baseName, w.name),
        scalerIdentityName: acaNames.acaScalerIdentityName(ctx.baseName, w.name),
        granteeName: w.name,
        ...wiring,
    };
}
