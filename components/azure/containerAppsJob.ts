import * as app from "@pulumi/azure-native/app";
import type * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as pulumi from "@pulumi/pulumi";
import { renderContainerAppsJob, type ContainerAppsJobInputs, type ContainerAppsJobSettings, type ContainerAppsJobSpec } from "../plan/containerAppsJob";
import type { WorkloadMessaging } from "./messaging";
import { grantRole } from "./roles";

export interface ContainerAppsJobArgs {
    /** What runs and how it scales (plan/containerAppsJob.ts: every field, its default and constraints). */
    job: ContainerAppsJobSettings;
    /** Resource group for the job and its identities. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region. */
    location: pulumi.Input<string>;
    /** The managed environment the job runs in (ContainerAppsEnvironment.environmentId). */
    environmentId: pulumi.Input<string>;
    /** Azure name of the job (2–32 lowercase letters, digits and '-'). */
    jobName: string;
    /** Azure name of the identity the worker runs as. */
    workerIdentityName: string;
    /** Azure name of the identity only the scale rule uses. */
    scalerIdentityName: string;
    /**
     * Queue and results; grants are asked of it by intent, scoped to the queue and the container, named
     * `<messaging>-<grantee>-<intent>-<role>`, and the worker matches its delivery limits.
     */
    messaging: WorkloadMessaging;
    /** Grantee name in the grants' resource names (unique per Messaging). Default: jobName. */
    granteeName?: string;
    /** Worker image by digest. */
    image: pulumi.Input<string>;
    /**
     * The ACR the image is in (the stack's, or another named by id): its login server (registries[].server) and id
     * (AcrPull scope for the worker identity). Absent for a public image: ACA pulls it anonymously, no grant. Default: none.
     */
    registry?: { loginServer: pulumi.Input<string>; registryId: pulumi.Input<string> };
}

/**
 * One queue worker as an event-triggered Container Apps job: a worker identity (AcrPull on the registry, receive
 * and write results, scoped to the queue and the container), a scaler identity (read queue metrics on the queue
 * only, never available to the container), and the `app.Job` whose scale rule authenticates with the scaler
 * identity and whose replicas run `work --once` (plan/containerAppsJob.ts says why). No secret anywhere.
 */
export class ContainerAppsJob extends pulumi.ComponentResource {
    public readonly workerIdentity: managedidentity.UserAssignedIdentity;
    public readonly scalerIdentity: managedidentity.UserAssignedIdentity;
    /** AcrPull for the worker identity on the registry; none for a public image. */
    public readonly pullGrant?: authorization.RoleAssignment;
    /** Receive + write results (worker) and read queue metrics (scaler), from Messaging. */
    public readonly brokerGrants: authorization.RoleAssignment[];
    public readonly job: app.Job;
    public readonly jobName: pulumi.Output<string>;

    constructor(name: string, args: ContainerAppsJobArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:aca:ContainerAppsJob", name, {}, opts);
        const grantee = args.granteeName ?? args.jobName;
        const base = { resourceGroupName: args.resourceGroupName, location: args.location };

        this.workerIdentity = new managedidentity.UserAssignedIdentity(`${name}-worker-identity`, { ...base, resourceName: args.workerIdentityName }, { parent: this });
        this.scalerIdentity = new managedidentity.UserAssignedIdentity(`${name}-scaler-identity`, { ...base, resourceName: args.scalerIdentityName }, { parent: this });

        // Pulls by the worker identity (registries[].identity): no ACR admin user, no password secret.
        this.pullGrant = args.registry && grantRole(`${name}-acr-pull`, { principalId: this.workerIdentity.principalId, role: "acrPull", scope: args.registry.registryId }, { parent: this });
        this.brokerGrants = [
            ...args.messaging.grant(`${grantee}-aca`, "receive", this.workerIdentity.principalId),
            ...args.messaging.grant(`${grantee}-aca`, "writeResults", this.workerIdentity.principalId),
            // Service Bus: Data Owner on the queue (the scaler reads runtime counts through the management API, FACTS §5).
            ...args.messaging.grant(`${grantee}-aca-scaler`, "readQueueMetrics", this.scalerIdentity.principalId),
        ];

        const spec: pulumi.Output<ContainerAppsJobSpec> = pulumi
            .all([
                args.messaging.broker.resourceName,
                args.messaging.resultsAccountName,
                args.messaging.resultsContainerName,
                args.image,
                args.registry?.loginServer,
                this.workerIdentity.id,
                this.workerIdentity.clientId,
                this.scalerIdentity.id,
            ])
            .apply(([resourceName, account, container, image, registryServer, workerId, workerClientId, scalerId]) => {
                const inputs: ContainerAppsJobInputs = {
                    broker: { kind: args.messaging.broker.kind, entity: args.messaging.broker.entity, resourceName, ...args.messaging.deliveryLimits },
                    results: { account, container },
                    image,
                    registryServer,
                    workerIdentity: { id: workerId, clientId: workerClientId },
                    scalerIdentity: { id: scalerId },
                };
                return renderContainerAppsJob(args.job, inputs);
            });

        this.job = new app.Job(
            `${name}-job`,
            {
                ...base,
                jobName: args.jobName,
                environmentId: args.environmentId,
                workloadProfileName: spec.apply((s) => s.workloadProfileName),
                configuration: spec.apply((s) => s.configuration),
                identity: spec.apply((s) => s.identity),
                template: spec.apply((s) => s.template),
            },
            // The first execution pulls with AcrPull and receives with the broker grants: both must exist first, else it
            // fails with 401/403 while RBAC is still being written.
            { parent: this, dependsOn: [...(this.pullGrant ? [this.pullGrant] : []), ...this.brokerGrants] },
        );
        this.jobName = this.job.name;
        this.registerOutputs({ jobName: this.jobName, workerPrincipalId: this.workerIdentity.principalId, scalerPrincipalId: this.scalerIdentity.principalId });
    }
}
