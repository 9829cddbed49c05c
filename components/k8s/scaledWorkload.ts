import type * as authorization from "@pulumi/azure-native/authorization";
import type * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { federatedIdentity } from "../azure/federatedIdentity";
import type { MessagingIntent, WorkloadMessaging } from "../azure/messaging";
import { loadIdentityName, loadServiceAccountName, workloadIdentityName } from "../plan/names";
import {
    renderDeployment,
    renderLoadTemplate,
    renderScaledJob,
    renderScaledObject,
    renderTriggerAuthentication,
    shutdownBudgetFor,
    KEDA_API,
    type K8sObject,
    type WorkloadInputs,
    type WorkloadSpec,
} from "../plan/workload";
import { resolveWorkload, type WorkloadArgs } from "./workloadArgs";

export interface ScaledWorkloadArgs {
    /** What runs and how KEDA scales it (k8s/workloadArgs.ts: every field, its default and constraints). */
    workload: WorkloadArgs;
    /** Resource group of the workload's managed identities. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region of the identities. */
    location: pulumi.Input<string>;
    /** Prefix of the identities' Azure names: `<prefix>-<workload>` and `<prefix>-<workload>-load` (≤ 128 in all). */
    identityNamePrefix: string;
    /** Cluster OIDC issuer the federated credentials trust. */
    oidcIssuerUrl: pulumi.Input<string>;
    /** The queue and results; grants are asked of it by intent, named `<messaging>-<serviceAccount>-<intent>-<role>`. */
    messaging: WorkloadMessaging;
    /** Worker image, by digest so only a real change rolls pods. */
    image: pulumi.Input<string>;
    /** Provider of the target cluster. */
    provider: k8s.Provider;
    /** KEDA's release: every KEDA object depends on it, so destroy removes them before their CRDs (FACTS §9). */
    kedaRelease: pulumi.Resource;
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
    /** The workload's Namespace object, when the caller creates it: every object waits for it. Default: none (it exists). */
    namespace?: pulumi.Resource;
    /** Whether the cluster has Spot nodes a pod with placement "any" may land on. Default: true (the safe 30 s budget). */
    spotNodes?: boolean;
}

/** One federated identity, its ServiceAccount and the grants its intents need. */
export interface WorkloadIdentity {
    readonly identity: managedidentity.UserAssignedIdentity;
    readonly federation: managedidentity.FederatedIdentityCredential;
    readonly serviceAccount: k8s.core.v1.ServiceAccount;
    readonly grants: authorization.RoleAssignment[];
}

/**
 * One queue worker: its identity and ServiceAccount (workload identity), least-privilege grants, a
 * TriggerAuthentication, and a Deployment + ScaledObject or a ScaledJob; optionally a suspended load template
 * that only an explicit `kubectl create job --from` runs.
 */
export class ScaledWorkload extends pulumi.ComponentResource {
    /** The workload with every default applied. */
    public readonly spec: WorkloadSpec;
    /** The worker's identity, ServiceAccount and grants (receive, write results). */
    public readonly worker: WorkloadIdentity;
    public readonly triggerAuthentication: k8s.apiextensions.CustomResource;
    /** kind deployment only. */
    public readonly deployment?: k8s.apps.v1.Deployment;
    /** The ScaledObject (deployment) or ScaledJob (job). */
    public readonly scaledObject: k8s.apiextensions.CustomResource;
    /** The load sender's identity, ServiceAccount and grants (send, write results); only with loadTest. */
    public readonly loadSender?: WorkloadIdentity;
    /** The suspended CronJob a load run is created from; only with loadTest. */
    public readonly loadTemplate?: k8s.batch.v1.CronJob;
    public readonly serviceAccountName: string;
    public readonly principalId: pulumi.Output<string>;
    /** Name of the suspended CronJob a load run is created from; undefined without loadTest. */
    public readonly loadTemplateName?: string;

    constructor(name: string, args: ScaledWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:k8s:ScaledWorkload", name, {}, opts);
        const w = (this.spec = resolveWorkload(args.workload));
        const waitFor = args.namespace ? [args.namespace] : [];
        const k8sOpts = (dependsOn: pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({ parent: this, provider: args.provider, dependsOn: [...waitFor, ...dependsOn] });
        const kedaGrants = args.kedaGrants ?? [];
        const podPrerequisites = args.podPrerequisites ?? [];

        this.serviceAccountName = w.name;
        const worker = (this.worker = this.identity(`${name}-worker`, workloadIdentityName(args.identityNamePrefix, w.name), w.name, w, args, ["receive", "writeResults"]));
        this.principalId = worker.identity.principalId;

        const shutdown = shutdownBudgetFor(w, args.spotNodes ?? true);
        const m = args.messaging;
        const inputs: pulumi.Output<WorkloadInputs> = pulumi
            .all([m.broker.resourceName, m.resultsAccountName, m.resultsContainerName, args.image])
            .apply(([resourceName, account, container, image]) => ({
                broker: { kind: m.broker.kind, queueName: m.broker.queueName, resourceName, ...m.deliveryLimits },
                results: { account, container },
                image,
                serviceAccountName: w.name,
                loadServiceAccountName: loadServiceAccountName(w.name),
                shutdown,
            }));
        const render = (fn: (i: WorkloadInputs) => K8sObject | undefined) => inputs.apply((i) => fn(i)!);

        const auth = renderTriggerAuthentication(w);
        this.triggerAuthentication = new k8s.apiextensions.CustomResource(
            `${name}-trigger-auth`,
            { apiVersion: auth.apiVersion, kind: auth.kind, metadata: auth.metadata, spec: auth.spec },
            k8sOpts([args.kedaRelease, ...kedaGrants]),
        );

        // Pods start only once their identity can do its job and the kubelet can pull the image.
        const podDeps = [worker.serviceAccount, ...worker.grants, ...podPrerequisites];
        if (w.kind === "deployment") {
            const deployment = render((i) => renderDeployment(w, i));
            this.deployment = new k8s.apps.v1.Deployment(
                `${name}-deployment`,
                { metadata: deployment.metadata, spec: deployment.spec as pulumi.Output<k8s.types.input.apps.v1.DeploymentSpec> },
                // KEDA's HPA owns replicas after creation.
                { ...k8sOpts(podDeps), ignoreChanges: ["spec.replicas"] },
            );
            const so = render((i) => renderScaledObject(w, i));
            this.scaledObject = new k8s.apiextensions.CustomResource(
                `${name}-scaled-object`,
                { apiVersion: KEDA_API, kind: "ScaledObject", metadata: so.metadata, spec: so.spec },
                k8sOpts([args.kedaRelease, ...kedaGrants, this.triggerAuthentication, this.deployment]),
            );
        } else {
            const sj = render((i) => renderScaledJob(w, i));
            this.scaledObject = new k8s.apiextensions.CustomResource(
                `${name}-scaled-job`,
                { apiVersion: KEDA_API, kind: "ScaledJob", metadata: sj.metadata, spec: sj.spec },
                k8sOpts([args.kedaRelease, ...kedaGrants, this.triggerAuthentication, ...podDeps]),
            );
        }

        if (w.loadTest) {
            // Its own identity: the sender may send, never receive (seed 004's sender Job, without the secret).
            const sender = (this.loadSender = this.identity(`${name}-load`, loadIdentityName(args.identityNamePrefix, w.name), loadServiceAccountName(w.name), w, args, ["send", "writeResults"]));
            const template = render((i) => renderLoadTemplate(w, i));
            this.loadTemplateName = `${w.name}-load`;
            this.loadTemplate = new k8s.batch.v1.CronJob(
                `${name}-load-template`,
                { metadata: template.metadata, spec: template.spec as pulumi.Output<k8s.types.input.batch.v1.CronJobSpec> },
                k8sOpts([this.scaledObject, sender.serviceAccount, ...sender.grants, ...podPrerequisites]),
            );
        }
        this.registerOutputs({
            worker: this.worker,
            triggerAuthentication: this.triggerAuthentication,
            deployment: this.deployment,
            scaledObject: this.scaledObject,
            loadSender: this.loadSender,
            loadTemplate: this.loadTemplate,
            principalId: this.principalId,
        });
    }

    /** A managed identity federated with one ServiceAccount, and the grants its intents need. */
    private identity(resourceName: string, azureName: string, serviceAccount: string, w: WorkloadSpec, args: ScaledWorkloadArgs, intents: MessagingIntent[]): WorkloadIdentity {
        const ns = w.namespace;
        const { identity, federation } = federatedIdentity(
            resourceName,
            { resourceGroupName: args.resourceGroupName, location: args.location, identityName: azureName, issuer: args.oidcIssuerUrl, namespace: ns, serviceAccount },
            this,
        );
        const sa = new k8s.core.v1.ServiceAccount(
            `${resourceName}-sa`,
            { metadata: { name: serviceAccount, namespace: ns, annotations: { "azure.workload.identity/client-id": identity.clientId } } },
            { parent: this, provider: args.provider, dependsOn: [...(args.namespace ? [args.namespace] : []), federation] },
        );
        const grants = intents.flatMap((intent) => args.messaging.grant(serviceAccount, intent, identity.principalId));
        return { identity, federation, serviceAccount: sa, grants };
    }
}
