/**
 * Pure decisions for pods that may run in Azure Container Instances through AKS virtual nodes (FACTS §1;
 * limits/aci.ts for the sources): where they schedule, the resources ACI really allocates, the command ACI needs, the
 * Secret-backed credential env, and the rotation window of every expiring credential. No Pulumi here.
 */
import { cpuMillis, memoryMiB } from "../config/quantity";
import { ACI_CPU_STEP_MILLIS, ACI_MEMORY_STEP_BYTES, ACI_MIN } from "../limits/aci";
import { compactName, dashedName } from "./naming";
import { SPOT_LABEL } from "./pools";

/** nodeSelector and tolerations of the virtual-node add-on (FACTS §1; virtual-kubelet/azure-aci README). */
export const VIRTUAL_NODE_SELECTOR = { "kubernetes.io/role": "agent", "kubernetes.io/os": "linux", type: "virtual-kubelet" } as const;
export const VIRTUAL_NODE_TOLERATIONS = [
    { key: "virtual-kubelet.io/provider", operator: "Exists" },
    { key: "azure.com/aci", effect: "NoSchedule" },
] as const;
const SPOT_TOLERATION = { key: SPOT_LABEL.key, operator: "Equal", value: SPOT_LABEL.value, effect: "NoSchedule" };

/**
 * virtualNodes: the add-on's nodeSelector and tolerations. spotThenVirtualNodes: required to be Spot OR a virtual node
 * (two ORed nodeSelectorTerms), preferring Spot (weight 100), tolerating both taints. The scheduler scores the
 * preference at scheduling time only: when no Spot node has room it binds the pod to the virtual node at once (it
 * does not wait for the cluster autoscaler's new Spot node), and it never moves a running pod back to Spot.
 */
export function virtualNodePlacement(placement: "virtualNodes" | "spotThenVirtualNodes"): Record<string, unknown> {
    if (placement === "virtualNodes") return { nodeSelector: { ...VIRTUAL_NODE_SELECTOR }, tolerations: VIRTUAL_NODE_TOLERATIONS.map((t) => ({ ...t })) };
    const spotTerm = { matchExpressions: [{ key: SPOT_LABEL.key, operator: "In", values: [SPOT_LABEL.value] }] };
    const virtualTerm = { matchExpressions: Object.entries(VIRTUAL_NODE_SELECTOR).map(([key, value]) => ({ key, operator: "In", values: [value] })) };
    return {
        tolerations: [SPOT_TOLERATION, ...VIRTUAL_NODE_TOLERATIONS.map((t) => ({ ...t }))],
        affinity: {
            nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [spotTerm, virtualTerm] },
                preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: spotTerm }],
            },
        },
    };
}

/**
 * The worker image's ENTRYPOINT (consumer/Dockerfile). ACI refuses a container with args but no command
 * (azure-aci getContainers: "ACI does not support providing args without specifying the command"), so virtual-node
 * pods carry it explicitly; test/virtualNodes.test.ts keeps it equal to the Dockerfile's.
 */
export const WORKER_COMMAND = ["node", "/app/dist/worker.cjs"] as const;

/**
 * What ACI allocates for a request, as Kubernetes quantities that the connector converts without loss. The connector
 * rounds CPU down to 10 m and memory down to 0.1 GB (10^8 bytes) (azure-aci getContainers), so "128Mi" would become
 * 0.1 GB (95 MiB) — less than asked. Rounding up to those steps here gives the pod at least its request, and
 * requests = limits makes ACI's limit equal its allocation (FACTS §1: a limit above the group's request is refused).
 */
export function aciResources(requests: { cpu: string; memory: string }): { cpu: string; memory: string; cpuMillis: number; memoryBytes: number } {
    const cpu = Math.max(ACI_MIN.cpuMillis, Math.ceil((cpuMillis(requests.cpu) ?? NaN) / ACI_CPU_STEP_MILLIS) * ACI_CPU_STEP_MILLIS);
    const bytes = (memoryMiB(requests.memory) ?? NaN) * 2 ** 20;
    const memory = Math.max(ACI_MIN.memoryBytes, Math.ceil(bytes / ACI_MEMORY_STEP_BYTES) * ACI_MEMORY_STEP_BYTES);
    return { cpu: `${cpu}m`, memory: `${memory / 1_000_000}M`, cpuMillis: cpu, memoryBytes: memory };
}

/** Names of the two Secrets a virtual-node workload gets, and their keys. */
export const credentialSecretName = (workload: string): string => `${workload}-aci-credential`;
export const pullSecretName = (workload: string): string => `${workload}-aci-pull`;
export const CREDENTIAL_KEYS = {
    /** The queue: a Service Bus connection string (Listen rule) or a Storage SAS connection string. */
    connection: "connection-string",
    /** Storage only: the `<queue>-poison` queue (add only). */
    poisonConnection: "poison-connection-string",
    /** The results container: a blob SAS connection string. */
    resultsConnection: "results-connection-string",
} as const;

/** The policy pack's contract (policy/policies/common.ts): the only Secrets allowed to hold a credential. */
export const ALLOWED_SECRET_LABEL = { "kedascale.io/allowed-secret": "aci-credential" } as const;
/** The policy pack's contract for a broker or account that keeps local auth on for virtual nodes. */
export const LOCAL_AUTH_TAGS = { "kedascale:localAuth": "virtual-nodes" } as const;

/**
 * The worker's env for its credentials: each from the Secret by reference (valueFrom.secretKeyRef), never a literal.
 * The connector turns a secretKeyRef into an ACI secure environment variable (azure-aci getACIEnvVar), which the
 * container group's properties never show.
 */
export function credentialEnv(workload: string, broker: "serviceBus" | "storageQueue"): { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }[] {
    const ref = (name: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: credentialSecretName(workload), key } } });
    return [
        ref("KEDASCALE_CONNECTION_STRING", CREDENTIAL_KEYS.connection),
        ref("KEDASCALE_RESULTS_CONNECTION_STRING", CREDENTIAL_KEYS.resultsConnection),
        ...(broker === "storageQueue" ? [ref("KEDASCALE_POISON_CONNECTION_STRING", CREDENTIAL_KEYS.poisonConnection)] : []),
    ];
}

/**
 * Service SAS permissions (Storage REST "Create a service SAS"; letters in the order the service requires).
 * Queue: r = peek and queue properties, u = update message (the worker renews and releases: FACTS §5), p = get and
 * delete messages. Poison queue: a = add (parking). Results: r = read (the worker's idempotency check), c = create,
 * w = write; no d, no l.
 */
export const SAS_PERMISSIONS = { queue: "rup", poisonQueue: "a", resultsContainer: "rcw" } as const;

export const queueCanonicalResource = (account: string, queue: string): string => `/queue/${account}/${queue}`;
export const containerCanonicalResource = (account: string, container: string): string => `/blob/${account}/${container}`;
/** A SAS connection string the Storage SDKs accept (QueueClient/ContainerClient(connectionString, name)). */
export const sasConnectionString = (service: "queue" | "blob", endpoint: string, sas: string): string =>
    `${service === "queue" ? "QueueEndpoint" : "BlobEndpoint"}=${endpoint.replace(/\/?$/, "/")};SharedAccessSignature=${sas.replace(/^\?/, "")}`;

const DAY_MS = 86_400_000;

export interface CredentialWindow {
    /** Index of the half-validity window `now` falls in (since the Unix epoch). */
    readonly index: number;
    /** Expiry of every credential issued in this window: the end of the next window (ISO 8601, UTC, seconds). */
    readonly expiry: string;
    /** When the next `pulumi up` rotates them: the start of the next window. */
    readonly rotatesAt: string;
    /** ACR token password slot: alternates per window, so the previous password stays valid while pods switch. */
    readonly passwordSlot: "password1" | "password2";
}

/**
 * Deterministic rotation. Time is cut into windows of validity/2 days; everything issued in window k expires at the end
 * of window k+1. So a credential issued at any moment has between validity/2 and validity left, every `pulumi up` in
 * the same window issues byte-identical SAS tokens (same inputs, same key → same signature: no diff, no churn), and
 * the first run of the next window re-issues them. Run `pulumi up` at least once per validity/2 days (CI schedule).
 */
export function credentialWindow(nowMs: number, validityDays: number): CredentialWindow {
    const half = (validityDays * DAY_MS) / 2;
    const index = Math.floor(nowMs / half);
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
    return { index, expiry: iso((index + 2) * half), rotatesAt: iso((index + 1) * half), passwordSlot: index % 2 === 0 ? "password1" : "password2" };
}

/** A kubernetes.io/dockerconfigjson payload. The server key is the bare login server: ACI's ImageRegistryCredential takes no scheme (aks-docs virtual-nodes.md). */
export function dockerConfigJson(loginServer: string, username: string, password: string): string {
    return JSON.stringify({ auths: { [loginServer]: { username, password, auth: Buffer.from(`${username}:${password}`).toString("base64") } } });
}

/** ACR scope-map actions that let a token pull one repository and nothing else. */
export const pullActions = (repository: string): string[] => [`repositories/${repository}/content/read`, `repositories/${repository}/metadata/read`];

/**
 * Azure names of the virtual-node broker (globally unique: the stack's suffix) and of the pull token. Rules as in
 * names.ts (NAME_RULES serviceBusNamespace, storageAccount; ACR scope maps and tokens 5–50 of [A-Za-z0-9-_]).
 */
export const virtualNodeNames = {
    serviceBusNamespace: (namePrefix: string, stack: string, suffix: string): string => dashedName(namePrefix, stack, "aci", suffix),
    queueAccount: (namePrefix: string, suffix: string): string => compactName([namePrefix, "aciq", suffix], 24),
    resultsAccount: (namePrefix: string, suffix: string): string => compactName([namePrefix, "acir", suffix], 24),
    /** One token per virtual-node workload, scoped to that workload's repository (preflight checks its length). */
    pullToken: (base: string, workload: string): string => `${base}-${workload}-pull`,
};
