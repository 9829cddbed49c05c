import type * as authorization from "@pulumi/azure-native/authorization";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { BrokerEndpoint, MessagingIntent, WorkloadMessaging } from "../azure/messaging";
import { renderAzuriteSetupJob } from "../plan/azuriteSetup";
import {
    AZURITE_ACCOUNT,
    AZURITE_QUEUE_PORT,
    azuriteHost,
    azuriteSecretName,
    renderAzuriteDeployment,
    renderAzuriteSecret,
    renderAzuriteService,
    renderAzuriteVolumeClaim,
    type LocalAzuriteSpec,
} from "../plan/localAzurite";
import { deliveryLimits, type DeliveryLimits } from "../plan/delivery";
import type { K8sObject } from "../plan/k8sObject";
import { poisonQueueName } from "../plan/entities";

export interface LocalAzuriteArgs {
    /** Provider of the laptop cluster (kubeconfig). */
    provider: k8s.Provider;
    /** Namespaces whose workloads use Azurite: each gets the connection Secret (KEDA reads a TriggerAuthentication's Secret from its own namespace). */
    workloadNamespaces: readonly string[];
    /** Namespace objects the caller creates, by name: each Secret waits for its namespace. Default: none (they exist). */
    namespaceResources?: ReadonlyMap<string, pulumi.Resource>;
    /** The queues the setup Job creates, each with `<queue>-poison` (one per workload: plan/entities.ts). Required. */
    queueNames: readonly string[];
    /** Blob container the setup Job creates for results. Default: results. */
    resultsContainerName?: string;
    /** Receives after which the worker moves a message to the poison queue. Default: 5 (the schema's storageQueue.maxDequeueCount). */
    maxDequeueCount?: number;
    /** Namespace Azurite runs in (created). Default: azurite. */
    namespace?: string;
    /** Name of Azurite's Deployment, Service and volume claim. Default: azurite. */
    name?: string;
    /** Size of the data volume (the cluster's default StorageClass). Default: 1Gi. */
    storage?: string;
}

/**
 * Azurite in a laptop cluster, standing in for Messaging in the `local` stack: its Deployment, Service and volume, the
 * connection Secret in each workload namespace, and a Job that creates every workload's queue, its poison queue and the
 * results container (plan/azuriteSetup.ts). `forQueue` gives the WorkloadMessaging of one queue, so the same
 * ScaledWorkload runs on it (with `azuriteSecret`: Azurite has no identities, so nothing is ever granted).
 */
export class LocalAzurite extends pulumi.ComponentResource {
    public readonly namespace: k8s.core.v1.Namespace;
    public readonly volumeClaim: k8s.core.v1.PersistentVolumeClaim;
    public readonly deployment: k8s.apps.v1.Deployment;
    public readonly service: k8s.core.v1.Service;
    /** The connection Secret by namespace (Azurite's own, for the setup Job, and each workload namespace). */
    public readonly secrets: ReadonlyMap<string, k8s.core.v1.Secret>;
    /** Creates the queue, the poison queue and the results container; workloads wait for it. */
    public readonly setupJob: k8s.batch.v1.Job;
    /** Name of the connection Secret, the same in every namespace. */
    public readonly secretName: string;
    public readonly broker: BrokerEndpoint;
    public readonly queueNames: readonly string[];
    public readonly deliveryLimits: DeliveryLimits;
    public readonly resultsAccountName: pulumi.Output<string>;
    public readonly resultsContainerName: pulumi.Output<string>;

    constructor(name: string, args: LocalAzuriteArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:k8s:LocalAzurite", name, {}, opts);
        const spec: LocalAzuriteSpec = { namespace: args.namespace ?? "azurite", name: args.name ?? "azurite", storage: args.storage ?? "1Gi" };
        const queueNames = (this.queueNames = [...new Set(args.queueNames)]);
        const container = args.resultsContainerName ?? "results";
        const provider = args.provider;
        this.secretName = azuriteSecretName(spec);

        this.namespace = new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: spec.namespace } }, { parent: this, provider });
        const inNs = { parent: this, provider, dependsOn: [this.namespace] };
        const pvc = renderAzuriteVolumeClaim(spec);
        this.volumeClaim = new k8s.core.v1.PersistentVolumeClaim(
            `${name}-data`,
            // kind's and k3d's local-path StorageClass binds only once a pod uses the claim (WaitForFirstConsumer), and the
            // pod is Azurite's Deployment, created after it: never wait for Bound here (pulumi-kubernetes skipAwait).
            { metadata: { ...pvc.metadata, annotations: { "pulumi.com/skipAwait": "true" } }, spec: pvc.spec },
            inNs,
        );
        const dep = renderAzuriteDeployment(spec);
        this.deployment = new k8s.apps.v1.Deployment(`${name}-deployment`, { metadata: dep.metadata, spec: dep.spec as k8s.types.input.apps.v1.DeploymentSpec }, { ...inNs, dependsOn: [this.namespace, this.volumeClaim] });
        const svc = renderAzuriteService(spec);
        this.service = new k8s.core.v1.Service(`${name}-service`, { metadata: svc.metadata, spec: svc.spec }, inNs);

        const secrets = new Map<string, k8s.core.v1.Secret>();
        for (const ns of new Set([spec.namespace, ...args.workloadNamespaces])) {
            const s = renderAzuriteSecret(spec, ns);
            const nsResource = ns === spec.namespace ? this.namespace : args.namespaceResources?.get(ns);
            secrets.set(
                ns,
                new k8s.core.v1.Secret(
                    `${name}-secret-${ns}`,
                    // A Pulumi secret although Azurite's key is public: state and diffs never show a connection string.
                    { metadata: s.metadata, type: s.type, stringData: pulumi.secret(s.stringData) },
                    { parent: this, provider, dependsOn: nsResource ? [nsResource] : [] },
                ),
            );
        }
        this.secrets = secrets;

        const job: K8sObject = renderAzuriteSetupJob(spec, spec.namespace, this.secretName, { queues: queueNames.flatMap((q) => [q, poisonQueueName(q)]), containers: [container] });
        this.setupJob = new k8s.batch.v1.Job(
            `${name}-setup`,
            { metadata: job.metadata, spec: job.spec as k8s.types.input.batch.v1.JobSpec },
            { parent: this, provider, dependsOn: [this.service, this.deployment, secrets.get(spec.namespace)!] },
        );

        const endpoint = `http://${azuriteHost(spec)}:${AZURITE_QUEUE_PORT}/${AZURITE_ACCOUNT}`;
        this.broker = { kind: "storageQueue", resourceName: pulumi.output(AZURITE_ACCOUNT), endpoint: pulumi.output(endpoint) };
        this.deliveryLimits = deliveryLimits({ kind: "storageQueue", maxDequeueCount: args.maxDequeueCount ?? 5 });
        this.resultsAccountName = pulumi.output(AZURITE_ACCOUNT);
        this.resultsContainerName = pulumi.output(container);
        this.registerOutputs({ namespace: this.namespace, volumeClaim: this.volumeClaim, deployment: this.deployment, service: this.service, setupJob: this.setupJob });
    }

    /** One queue as a workload sees it. Azurite has no roles or identities: grant throws (use ScaledWorkload `azuriteSecret`). */
    forQueue(queue: string): WorkloadMessaging {
        if (!this.queueNames.includes(queue)) throw new Error(`LocalAzurite: no queue "${queue}" (pass it in args.queueNames)`);
        const secretName = this.secretName;
        return {
            broker: { ...this.broker, entity: { queue }, deadLetter: poisonQueueName(queue) },
            deliveryLimits: this.deliveryLimits,
            resultsAccountName: this.resultsAccountName,
            resultsContainerName: this.resultsContainerName,
            grant(who: string, intent: MessagingIntent): authorization.RoleAssignment[] {
                throw new Error(`LocalAzurite: cannot grant ${intent} to ${who}: Azurite has no identities; give the workload azuriteSecret "${secretName}" instead`);
            },
        };
    }
}
