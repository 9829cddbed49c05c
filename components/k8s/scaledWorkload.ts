import type * as authorization from "@pulumi/azure-native/authorization";
import type * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { federatedIdentity } from "../azure/federatedIdentity";
import type { MessagingIntent, WorkloadMessaging } from "../azure/messaging";
import { onVirtualNodes } from "../config/virtualNodes";
import { loadIdentityName, loadServiceAccountName, workloadIdentityName } from "../plan/names";
import { renderAzuriteTriggerAuthentication } from "../plan/localAzurite";
import { ALLOWED_SECRET_LABEL, credentialSecretName, pullSecretName } from "../plan/virtualNodes";
import {
    renderDeployment,
    renderLoadTemplate,
    renderScaledJob,
    renderScaledObject,
    renderTriggerAuthentication,
    triggerAuthenticationName,
    KEDA_API,
    type K8sObject,
    type WorkloadInputs,
    type WorkloadSpec,
} from "../plan/workload";
import { shutdownBudgetFor } from "../plan/shutdown";
import { resolveWorkload, type WorkloadArgs } from "./workloadArgs";

export interface ScaledWorkloadArgs {
    /** What runs and how KEDA scales it (k8s/workloadArgs.ts: every field, its default and constraints). */
    workload: WorkloadArgs;
    /** Resource group of the workload's managed identities. Required unless `azuriteSecret` is set (then unused). */
    resourceGroupName?: pulumi.Input<string>;
    /** Azure region of the identities. Required unless `azuriteSecret` is set. */
    location?: pulumi.Input<string>;
    /** Prefix of the identities' Azure names: `<prefix>-<workload>` and `<prefix>-<workload>-load` (≤ 128 in all). Required unless `azuriteSecret` is set. */
    identityNamePrefix?: string;
    /** Cluster OIDC issuer the federated credentials trust. Required unless `azuriteSecret` is set. */
    oidcIssuerUrl?: pulumi.Input<string>;
    /**
     * Azurite in a laptop cluster (the `local` stack), which has no Entra identity: the name of the Secret in the
     * workload's namespace holding its connection string under key `connection` (plan/localAzurite.ts, created by
     * LocalAzurite). KEDA reads it through a `secretTargetRef` TriggerAuthentication and the pods through `secretKeyRef`;
     * no managed identity, federation or role grant is created, and `messaging.grant` is never called. Default: none.
     */
    azuriteSecret?: string;
    /**
     * The workload's own queue or topic subscription, and the results (Messaging.forEntity); grants are asked of it by
     * intent, scoped to that entity, named `<messaging>-<serviceAccount>-<intent>-<role>`.
     */
    messaging: WorkloadMessaging;
    /** The image the workload runs (the kedascale worker's or its own), by digest when built here so only a real change rolls pods. */
    image: pulumi.Input<string>;
    /** The kedascale worker image, which the load-run template runs (`send`). Default: `image`. */
    workerImage?: pulumi.Input<string>;
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
    /**
     * Required with placement virtualNodes or spotThenVirtualNodes, refused otherwise: what an ACI pod uses instead of an
     * identity (FACTS §1). `credential` (Secret key → value, e.g. VirtualNodeCredential.values) becomes the Secret
     * `<name>-aci-credential`; `dockerConfigJson` (RegistryPullToken, scoped to the image's repository) the
     * imagePullSecret `<name>-aci-pull`, absent for a public image. Both Secrets carry the label
     * `kedascale.io/allowed-secret: aci-credential`. `messaging` must then be the virtual-node Messaging's entity the
     * credential opens. Default: none.
     */
    virtualNodes?: { credential: pulumi.Input<Record<string, pulumi.Input<string>>>; dockerConfigJson?: pulumi.Input<string> };
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
    /** The worker's identity, ServiceAccount and grants (receive, write results); none on virtual nodes (no identity there). */
    public readonly worker?: WorkloadIdentity;
    /** With `azuriteSecret` only: the worker's and the load sender's ServiceAccounts (no identity, no token mounted). */
    public readonly localServiceAccount?: k8s.core.v1.ServiceAccount;
    public readonly localLoadServiceAccount?: k8s.core.v1.ServiceAccount;
    /** Virtual-node placements only: the worker's ServiceAccount (no token mounted) and its two Secrets. */
    public readonly virtualNodeServiceAccount?: k8s.core.v1.ServiceAccount;
    public readonly credentialSecret?: k8s.core.v1.Secret;
    public readonly pullSecret?: k8s.core.v1.Secret;
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
    /** The worker identity's principal; undefined on virtual nodes. */
    public readonly principalId?: pulumi.Output<string>;
    /** Name of the suspended CronJob a load run is created from; undefined without loadTest. */
    public readonly loadTemplateName?: string;

    constructor(name: string, args: ScaledWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:k8s:ScaledWorkload", name, {}, opts);
        const w = (this.spec = resolveWorkload(args.workload));
        const waitFor = args.namespace ? [args.namespace] : [];
        const k8sOpts = (dependsOn: pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({ parent: this, provider: args.provider, dependsOn: [...waitFor, ...dependsOn] });
        const kedaGrants = args.kedaGrants ?? [];
        const podPrerequisites = args.podPrerequisites ?? [];
        const podPrerequisitesOf = (a: ScaledWorkloadArgs) => a.podPrerequisites ?? [];

        this.serviceAccountName = w.name;
        let podDeps: pulumi.Resource[];
        if (onVirtualNodes(w)) {
            if (!args.virtualNodes) throw new Error(`ScaledWorkload ${name}: placement "${w.placement}" needs args.virtualNodes (the credential Secret and the pull secret an ACI pod uses instead of an identity)`);
            const secrets = this.virtualNodeSecrets(name, w, args, args.virtualNodes);
            this.virtualNodeServiceAccount = secrets.serviceAccount;
            this.credentialSecret = secrets.credential;
            this.pullSecret = secrets.pull;
            podDeps = [secrets.serviceAccount, secrets.credential, ...(secrets.pull ? [secrets.pull] : []), ...podPrerequisitesOf(args)];
        } else if (args.azuriteSecret !== undefined) {
            // No identity in a laptop cluster: a plain ServiceAccount, the credential is the Azurite Secret.
            const sa = (this.localServiceAccount = this.plainServiceAccount(`${name}-worker-sa`, w.name, w, args));
            podDeps = [sa, ...podPrerequisitesOf(args)];
        } else {
            if (args.virtualNodes) throw new Error(`ScaledWorkload ${name}: args.virtualNodes is set but placement is "${w.placement}"; only virtual-node placements get a Secret credential`);
            const worker = (this.worker = this.identity(`${name}-worker`, workloadIdentityName(args.identityNamePrefix ?? "", w.name), w.name, w, args, ["receive", "writeResults"]));
            this.principalId = worker.identity.principalId;
            // Pods start only once their identity can do its job and the kubelet can pull the image.
            podDeps = [worker.serviceAccount, ...worker.grants, ...podPrerequisitesOf(args)];
        }

        const shutdown = shutdownBudgetFor(w, args.spotNodes ?? true);
        const m = args.messaging;
        const inputs: pulumi.Output<WorkloadInputs> = pulumi
            .all([m.broker.resourceName, m.resultsAccountName, m.resultsContainerName, args.image, args.workerImage ?? args.image])
            .apply(([resourceName, account, container, image, workerImage]) => ({
                broker: { kind: m.broker.kind, entity: m.broker.entity, resourceName, ...m.deliveryLimits },
                results: { account, container },
                image,
                workerImage,
                pullSecret: args.virtualNodes?.dockerConfigJson !== undefined,
                serviceAccountName: w.name,
                loadServiceAccountName: loadServiceAccountName(w.name),
                shutdown,
                ...(args.azuriteSecret !== undefined ? { azuriteSecret: args.azuriteSecret } : {}),
            }));
        const render = (fn: (i: WorkloadInputs) => K8sObject | undefined) => inputs.apply((i) => fn(i)!);

        const auth = args.azuriteSecret !== undefined ? renderAzuriteTriggerAuthentication(args.azuriteSecret, triggerAuthenticationName(w), w.namespace) : renderTriggerAuthentication(w);
        this.triggerAuthentication = new k8s.apiextensions.CustomResource(
            `${name}-trigger-auth`,
            { apiVersion: auth.apiVersion, kind: auth.kind, metadata: auth.metadata, spec: auth.spec },
            k8sOpts([args.kedaRelease, ...kedaGrants]),
        );

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
            // Its own identity: the sender may send, never receive (seed 004's sender Job, without the secret). Azurite
            // has no roles: there the sender has the same connection string as the worker.
            const sender = args.azuriteSecret !== undefined ? { serviceAccount: this.plainServiceAccount(`${name}-load-sa`, loadServiceAccountName(w.name), w, args), grants: [] } : (this.loadSender = this.identity(`${name}-load`, loadIdentityName(args.identityNamePrefix ?? "", w.name), loadServiceAccountName(w.name), w, args, ["send", "writeResults"]));
            if (sender.grants.length === 0 && args.azuriteSecret !== undefined) this.localLoadServiceAccount = sender.serviceAccount;
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
            localServiceAccount: this.localServiceAccount,
            localLoadServiceAccount: this.localLoadServiceAccount,
            virtualNodeServiceAccount: this.virtualNodeServiceAccount,
            credentialSecret: this.credentialSecret,
            pullSecret: this.pullSecret,
            triggerAuthentication: this.triggerAuthentication,
            deployment: this.deployment,
            scaledObject: this.scaledObject,
            loadSender: this.loadSender,
            loadTemplate: this.loadTemplate,
            principalId: this.principalId,
        });
    }

    /**
     * A virtual-node worker's ServiceAccount (no token: nothing in the pod calls the API server) and its two Secrets,
     * labelled for the policy pack; the values stay Pulumi secrets (state encrypted, never in plain diff output).
     */
    private virtualNodeSecrets(name: string, w: WorkloadSpec, args: ScaledWorkloadArgs, vn: NonNullable<ScaledWorkloadArgs["virtualNodes"]>) {
        const opts = { parent: this, provider: args.provider, dependsOn: args.namespace ? [args.namespace] : [] };
        const labels = { "app.kubernetes.io/name": w.name, "app.kubernetes.io/part-of": "kedascale", ...ALLOWED_SECRET_LABEL };
        const serviceAccount = (new k8s.core.v1.ServiceAccount(
            `${name}-worker-sa`,
            { metadata: { name: w.name, namespace: w.namespace }, automountServiceAccountToken: false },
            opts,
        ));
        const credential = (new k8s.core.v1.Secret(
            `${name}-aci-credential`,
            { metadata: { name: credentialSecretName(w.name), namespace: w.namespace, labels }, type: "Opaque", stringData: pulumi.secret(vn.credential) },
            opts,
        ));
        // A public image needs no pull secret (plan/workloadImage.ts pullAccess).
        const pull =
            vn.dockerConfigJson === undefined
                ? undefined
                : new k8s.core.v1.Secret(
                      `${name}-aci-pull`,
                      { metadata: { name: pullSecretName(w.name), namespace: w.namespace, labels }, type: "kubernetes.io/dockerconfigjson", stringData: { ".dockerconfigjson": pulumi.secret(vn.dockerConfigJson) } },
                      opts,
                  );
        return { serviceAccount, credential, pull };
    }

    /** A ServiceAccount without an identity (the `local` stack: the credential is the Azurite Secret). */
    private plainServiceAccount(resourceName: string, serviceAccount: string, w: WorkloadSpec, args: ScaledWorkloadArgs): k8s.core.v1.ServiceAccount {
        return new k8s.core.v1.ServiceAccount(
            resourceName,
            { metadata: { name: serviceAccount, namespace: w.namespace }, automountServiceAccountToken: false },
            { parent: this, provider: args.provider, dependsOn: args.namespace ? [args.namespace] : [] },
        );
    }

    /** A managed identity federated with one ServiceAccount, and the grants its intents need. */
    private identity(resourceName: string, azureName: string, serviceAccount: string, w: WorkloadSpec, args: ScaledWorkloadArgs, intents: MessagingIntent[]): WorkloadIdentity {
        const ns = w.namespace;
        const { resourceGroupName, location, oidcIssuerUrl } = args;
        if (resourceGroupName === undefined || location === undefined || oidcIssuerUrl === undefined || args.identityNamePrefix === undefined) {
            throw new Error(`ScaledWorkload ${this.spec.name}: resourceGroupName, location, identityNamePrefix and oidcIssuerUrl are required for workload identity (or set azuriteSecret for a laptop cluster's Azurite)`);
        }
        const { identity, federation } = federatedIdentity(
            resourceName,
            { resourceGroupName, location, identityName: azureName, issuer: oidcIssuerUrl, namespace: ns, serviceAccount },
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
