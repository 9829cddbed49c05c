import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PoolConfig } from "./config/schema";
import type { WorkloadConfig } from "./config/workloads";
import { federatedIdentity } from "./federatedIdentity";
import { loadIdentityName, loadServiceAccountName, workloadIdentityName } from "./plan/names";
import type { Messaging, MessagingIntent } from "./messaging";
import {
    renderDeployment,
    renderLoadTemplate,
    renderScaledJob,
    renderScaledObject,
    renderTriggerAuthentication,
    shutdownBudget,
    KEDA_API,
    type K8sObject,
    type WorkloadInputs,
} from "./plan/workload";

export interface ScaledWorkloadArgs {
    /** The workload's validated config (kind, placement, scaling, resources, load template). */
    config: WorkloadConfig;
    /** The stack's worker pools: whether a pod may land on Spot decides its shutdown budget. */
    pools: readonly PoolConfig[];
    /** Resource group for the workload's managed identities. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region. */
    location: pulumi.Input<string>;
    /** Prefix of the identities' Azure names. */
    identityNamePrefix: string;
    /** Cluster OIDC issuer the federated credentials trust. */
    oidcIssuerUrl: pulumi.Input<string>;
    /** Queue and results; grants are asked of it by intent. */
    messaging: Messaging;
    /** The queue's lock duration and delivery limit, which the worker must match. */
    brokerLimits: { lockDurationMs: number; maxDeliveryCount: number };
    /** Worker image by digest. */
    image: pulumi.Input<string>;
    /** KEDA's release: every KEDA object depends on it, so destroy removes them before their CRDs. */
    kedaRelease: k8s.helm.v3.Release;
    /**
     * KEDA's own role grants (read queue metrics). ScaledObjects, ScaledJobs and TriggerAuthentications wait for
     * them, so KEDA's first poll is not a 401 while RBAC is still being written. Default: none.
     */
    kedaGrants?: pulumi.Resource[];
    /**
     * Grants every pod needs before it can start, e.g. AcrPull for the kubelet: without it the first pods sit in
     * ImagePullBackOff. Default: none.
     */
    podPrerequisites?: pulumi.Resource[];
    /** The workload's namespace, created once per namespace by the caller. */
    namespace: k8s.core.v1.Namespace;
    /** Provider of the target cluster. */
    provider: k8s.Provider;
}

/**
 * One queue worker: its identity and ServiceAccount (workload identity), least-privilege grants, a
 * TriggerAuthentication, and a Deployment + ScaledObject or a ScaledJob; optionally a suspended load template
 * that only an explicit `kubectl create job --from` runs.
 */
export class ScaledWorkload extends pulumi.ComponentResource {
    public readonly serviceAccountName: string;
    public readonly principalId: pulumi.Output<string>;
    /** Name of the suspended CronJob a load run is created from; undefined without loadTest. */
    public readonly loadTemplateName?: string;

    constructor(name: string, args: ScaledWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:k8s:ScaledWorkload", name, {}, opts);
        const w = args.config;
        const k8sOpts = (dependsOn: pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({ parent: this, provider: args.provider, dependsOn: [args.namespace, ...dependsOn] });
        const kedaGrants = args.kedaGrants ?? [];
        const podPrerequisites = args.podPrerequisites ?? [];

        this.serviceAccountName = w.name;
        const worker = this.identity(`${name}-worker`, workloadIdentityName(args.identityNamePrefix, w.name), w.name, args, ["receive", "writeResults"]);
        this.principalId = worker.principalId;

        const shutdown = shutdownBudget(w, args.pools);
        const inputs: pulumi.Output<WorkloadInputs> = pulumi
            .all([args.messaging.broker.resourceName, args.messaging.resultsAccountName, args.messaging.resultsContainerName, args.image])
            .apply(([resourceName, account, container, image]) => ({
                broker: { kind: args.messaging.broker.kind, queueName: args.messaging.broker.queueName, resourceName, ...args.brokerLimits },
                results: { account, container },
                image,
                serviceAccountName: w.name,
                loadServiceAccountName: `${w.name}-load`,
                shutdown,
            }));
        const render = (fn: (i: WorkloadInputs) => K8sObject | undefined) => inputs.apply((i) => fn(i)!);

        const auth = renderTriggerAuthentication(w);
        const triggerAuth = new k8s.apiextensions.CustomResource(
            `${name}-trigger-auth`,
            { apiVersion: auth.apiVersion, kind: auth.kind, metadata: auth.metadata, spec: auth.spec },
            k8sOpts([args.kedaRelease, ...kedaGrants]),
        );

        // Pods start only once their identity can do its job and the kubelet can pull the image.
        const podDeps = [worker.serviceAccount, ...worker.grants, ...podPrerequisites];
        let scaled: pulumi.Resource;
        if (w.kind === "deployment") {
            const deployment = render((i) => renderDeployment(w, i));
            const workload = new k8s.apps.v1.Deployment(
                `${name}-deployment`,
                { metadata: deployment.metadata, spec: deployment.spec as pulumi.Output<k8s.types.input.apps.v1.DeploymentSpec> },
                // KEDA's HPA owns replicas after creation.
                { ...k8sOpts(podDeps), ignoreChanges: ["spec.replicas"] },
            );
            const so = render((i) => renderScaledObject(w, i));
            scaled = new k8s.apiextensions.CustomResource(
                `${name}-scaled-object`,
                { apiVersion: KEDA_API, kind: "ScaledObject", metadata: so.metadata, spec: so.spec },
                k8sOpts([args.kedaRelease, ...kedaGrants, triggerAuth, workload]),
            );
        } else {
            const sj = render((i) => renderScaledJob(w, i));
            scaled = new k8s.apiextensions.CustomResource(
                `${name}-scaled-job`,
                { apiVersion: KEDA_API, kind: "ScaledJob", metadata: sj.metadata, spec: sj.spec },
                k8sOpts([args.kedaRelease, ...kedaGrants, triggerAuth, ...podDeps]),
            );
        }

        if (w.loadTest) {
            // Its own identity: the sender may send, never receive (seed 004's sender Job, without the secret).
            const sender = this.identity(`${name}-load`, loadIdentityName(args.identityNamePrefix, w.name), loadServiceAccountName(w.name), args, ["send", "writeResults"]);
            const template = render((i) => renderLoadTemplate(w, i));
            this.loadTemplateName = `${w.name}-load`;
            new k8s.batch.v1.CronJob(
                `${name}-load-template`,
                { metadata: template.metadata, spec: template.spec as pulumi.Output<k8s.types.input.batch.v1.CronJobSpec> },
                k8sOpts([scaled, sender.serviceAccount, ...sender.grants, ...podPrerequisites]),
            );
        }
        this.registerOutputs({ principalId: this.principalId });
    }

    /** A managed identity federated with one ServiceAccount, and the grants its intents need. */
    private identity(resourceName: string, azureName: string, serviceAccount: string, args: ScaledWorkloadArgs, intents: MessagingIntent[]) {
        const ns = args.config.namespace;
        const { identity, federation } = federatedIdentity(
            resourceName,
            { resourceGroupName: args.resourceGroupName, location: args.location, identityName: azureName, issuer: args.oidcIssuerUrl, namespace: ns, serviceAccount },
            this,
        );
        const sa = new k8s.core.v1.ServiceAccount(
            `${resourceName}-sa`,
            { metadata: { name: serviceAccount, namespace: ns, annotations: { "azure.workload.identity/client-id": identity.clientId } } },
            { parent: this, provider: args.provider, dependsOn: [args.namespace, federation] },
        );
        const grants = intents.flatMap((intent) => args.messaging.grant(serviceAccount, intent, identity.principalId));
        return { principalId: identity.principalId, serviceAccount: sa, grants };
    }
}
