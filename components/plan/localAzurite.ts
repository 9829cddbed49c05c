/**
 * Azurite inside a laptop cluster (the `local` stack, issue 16 part 1): the objects that run it and the one
 * connection string kedascale allows. Pure (config → Kubernetes objects), so every object is schema-checked in tests.
 *
 * Why a connection string here and nowhere else: Azurite has no Entra identity, so neither KEDA's azure-queue scaler
 * nor the worker can use workload identity against it. The string lives only in a Kubernetes Secret labelled
 * `kedascale.io/allowed-secret: azurite` (policy/policies/common.ts ALLOWED_SECRET_PURPOSES) in the workload's
 * namespace, read by the TriggerAuthentication (`secretTargetRef`, parameter `connection`) and by the pods
 * (`secretKeyRef`). It names the endpoints explicitly (`QueueEndpoint=`, `BlobEndpoint=`): KEDA hands the string to
 * the Go azqueue SDK, which honours explicit endpoints (FACTS §9) — `UseDevelopmentStorage=true` would point at
 * 127.0.0.1 inside KEDA's own pod.
 */
import type { K8sObject } from "./k8sObject";

/**
 * Pinned Azurite image: the same release as the `azurite` devDependency the tests run against (package.json), so the
 * local cluster and the tests speak to the same emulator. Tag listed at mcr.microsoft.com/v2/azure-storage/azurite/tags/list
 * (3.35.0: Azure/Azurite#2562).
 */
export const AZURITE_IMAGE = "mcr.microsoft.com/azure-storage/azurite:3.35.0";
export const AZURITE_BLOB_PORT = 10000;
export const AZURITE_QUEUE_PORT = 10001;
/** The label value the policy pack and preflight accept on a Secret holding Azurite's connection string. */
export const AZURITE_SECRET_LABEL = { "kedascale.io/allowed-secret": "azurite" } as const;
/** Key of the connection string in the Secret (the TriggerAuthentication's `secretTargetRef.key`). */
export const AZURITE_SECRET_KEY = "connection";

/**
 * Azurite's well-known development account: published by Microsoft in Azurite's README and the Azure Storage docs
 * ("Use the Azurite emulator", connection strings), identical in every Azurite. It authenticates nothing outside it.
 */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface LocalAzuriteSpec {
    /** Namespace Azurite runs in. */
    readonly namespace: string;
    /** Name of its Deployment, Service and volume claim. */
    readonly name: string;
    /** Size of its data volume (the cluster's default StorageClass: local-path on kind and k3d, hostpath on minikube). */
    readonly storage: string;
}

export const DEFAULT_LOCAL_AZURITE: LocalAzuriteSpec = { namespace: "azurite", name: "azurite", storage: "1Gi" };

const labels = (s: LocalAzuriteSpec) => ({ "app.kubernetes.io/name": s.name, "app.kubernetes.io/part-of": "kedascale" });

/** The in-cluster DNS name of the Service: what every pod and KEDA's operator resolve. */
export function azuriteHost(s: LocalAzuriteSpec): string {
    return `${s.name}.${s.namespace}.svc.cluster.local`;
}

/** Connection string with explicit endpoints at the in-cluster Service (path-style: /<account>, as Azurite serves). */
export function azuriteConnectionString(s: LocalAzuriteSpec): string {
    const host = azuriteHost(s);
    return (
        `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_ACCOUNT_KEY};` +
        `BlobEndpoint=http://${host}:${AZURITE_BLOB_PORT}/${AZURITE_ACCOUNT};QueueEndpoint=http://${host}:${AZURITE_QUEUE_PORT}/${AZURITE_ACCOUNT};`
    );
}

export function renderAzuriteVolumeClaim(s: LocalAzuriteSpec): K8sObject {
    return {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: s.name, namespace: s.namespace, labels: labels(s) },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: s.storage } } },
    };
}

export function renderAzuriteDeployment(s: LocalAzuriteSpec): K8sObject {
    const tcp = (port: number) => ({ tcpSocket: { port }, periodSeconds: 5, failureThreshold: 3 });
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: s.name, namespace: s.namespace, labels: labels(s) },
        spec: {
            replicas: 1,
            // One ReadWriteOnce volume: the old pod must let go of it before the new one starts.
            strategy: { type: "Recreate" },
            selector: { matchLabels: { "app.kubernetes.io/name": s.name } },
            template: {
                metadata: { labels: labels(s) },
                spec: {
                    containers: [
                        {
                            name: "azurite",
                            image: AZURITE_IMAGE,
                            command: ["azurite"],
                            // The SDKs may be newer than this Azurite's API version: --skipApiVersionCheck, or every
                            // call is refused (README; consumer/src/azurite.ts starts the tests' Azurite the same way).
                            args: [
                                "--blobHost", "0.0.0.0", "--blobPort", String(AZURITE_BLOB_PORT),
                                "--queueHost", "0.0.0.0", "--queuePort", String(AZURITE_QUEUE_PORT),
                                "--location", "/data", "--skipApiVersionCheck", "--disableTelemetry",
                            ],
                            ports: [
                                { name: "blob", containerPort: AZURITE_BLOB_PORT },
                                { name: "queue", containerPort: AZURITE_QUEUE_PORT },
                            ],
                            readinessProbe: tcp(AZURITE_QUEUE_PORT),
                            livenessProbe: tcp(AZURITE_BLOB_PORT),
                            resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
                            volumeMounts: [{ name: "data", mountPath: "/data" }],
                        },
                    ],
                    volumes: [{ name: "data", persistentVolumeClaim: { claimName: s.name } }],
                },
            },
        },
    };
}

export function renderAzuriteService(s: LocalAzuriteSpec): K8sObject {
    return {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: s.name, namespace: s.namespace, labels: labels(s) },
        spec: {
            type: "ClusterIP",
            selector: { "app.kubernetes.io/name": s.name },
            ports: [
                { name: "blob", port: AZURITE_BLOB_PORT, targetPort: AZURITE_BLOB_PORT },
                { name: "queue", port: AZURITE_QUEUE_PORT, targetPort: AZURITE_QUEUE_PORT },
            ],
        },
    };
}

/** Name of the connection-string Secret (the same in every namespace that has one). */
export const azuriteSecretName = (s: Pick<LocalAzuriteSpec, "name">): string => `${s.name}-connection`;

/**
 * The worker's credential env in the local stack: queue and results from the Secret by reference (`secretKeyRef`),
 * never a literal in the pod spec. The worker reads KEDASCALE_CONNECTION_STRING for the queue (and its poison queue:
 * same account) and KEDASCALE_RESULTS_CONNECTION_STRING for the results container (consumer/src/options.ts).
 */
export function azuriteCredentialEnv(secretName: string): { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }[] {
    const ref = { valueFrom: { secretKeyRef: { name: secretName, key: AZURITE_SECRET_KEY } } };
    return [
        { name: "KEDASCALE_CONNECTION_STRING", ...ref },
        { name: "KEDASCALE_RESULTS_CONNECTION_STRING", ...ref },
    ];
}

/** The connection-string Secret for one workload namespace (KEDA reads a TriggerAuthentication's Secret from its own namespace). */
export function renderAzuriteSecret(s: LocalAzuriteSpec, namespace: string): { apiVersion: "v1"; kind: "Secret"; metadata: K8sObject["metadata"]; type: "Opaque"; stringData: Record<string, string> } {
    return {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: azuriteSecretName(s), namespace, labels: { ...labels(s), ...AZURITE_SECRET_LABEL } },
        type: "Opaque",
        stringData: { [AZURITE_SECRET_KEY]: azuriteConnectionString(s) },
    };
}

/** A TriggerAuthentication that hands KEDA's azure-queue scaler the Secret's connection string (FACTS §9). */
export function renderAzuriteTriggerAuthentication(secret: LocalAzuriteSpec | string, name: string, namespace: string): K8sObject {
    const secretName = typeof secret === "string" ? secret : azuriteSecretName(secret);
    return {
        apiVersion: "keda.sh/v1alpha1",
        kind: "TriggerAuthentication",
        metadata: { name, namespace, labels: { "app.kubernetes.io/part-of": "kedascale" } },
        spec: { secretTargetRef: [{ parameter: "connection", name: secretName, key: AZURITE_SECRET_KEY }] },
    };
}
