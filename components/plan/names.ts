/**
 * Every Azure and Kubernetes name the program creates, derived from config in this one place, each with the rule
 * its service applies. Components call the small functions below; preflight (config/rules/names.ts) and
 * test/names.test.ts enumerate `derivedNames` for every stack and check each name and its uniqueness.
 *
 * Azure rules: azure-resource-manager/management/resource-name-rules.md (MicrosoftDocs/azure-docs); federated
 * credentials 3–120 (FACTS §4); AKS dnsPrefix 1–54 (ManagedCluster.dnsPrefix). Kubernetes: DNS-1123 labels and
 * subdomains (kubernetes.io/docs/concepts/overview/working-with-objects/names); KEDA's HPA `keda-hpa-<name>` ≤ 63.
 */
import { needsCluster, onContainerApps } from "../config/containerApps";
import { ACA_SUBNET, acaScalerIdentityName, acaWorkerIdentityName } from "./containerAppsNames";
import type { StackConfig } from "../config/stack";
import type { WorkloadConfig } from "../config/workloads";
import { compactName, dashedName, type NameRule } from "./naming";
import { entityKey, isQueue, poisonQueueName, readsVirtualNodeBroker, workloadEntity, type BrokerKind } from "./entities";
export { poisonQueueName };
import { imageSource, WORKER_REPOSITORY } from "./workloadImage";
import { onVirtualNodes } from "../config/virtualNodes";
import { credentialSecretName, pullSecretName, virtualNodeNames } from "./virtualNodes";
import { entityKeys } from "../config/rules/workloadEntities";

export type { NameRule } from "./naming";

const rule = (min: number, max: number, pattern: RegExp, describe: string): NameRule => ({ min, max, pattern, describe });

export const NAME_RULES = {
    resourceGroup: rule(1, 90, /^[-\w._()]*[-\w_()]$/, "1–90 letters, digits, '-', '_', '.', '()', not ending in '.'"),
    vnet: rule(2, 64, /^[A-Za-z0-9][-\w.]*\w$/, "2–64 letters, digits, '-', '_', '.', starting alphanumeric, ending alphanumeric or '_'"),
    subnet: rule(1, 80, /^[A-Za-z0-9]([-\w.]*\w)?$/, "1–80 letters, digits, '-', '_', '.', starting alphanumeric"),
    managedCluster: rule(1, 63, /^[A-Za-z0-9]([-\w]*[A-Za-z0-9])?$/, "1–63 letters, digits, '-', '_', starting and ending alphanumeric"),
    dnsPrefix: rule(1, 54, /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?$/, "1–54 letters, digits and '-', starting and ending alphanumeric"),
    registry: rule(5, 50, /^[a-z0-9]+$/, "5–50 lowercase letters and digits (globally unique)"),
    serviceBusNamespace: rule(6, 50, /^[A-Za-z][-A-Za-z0-9]*[A-Za-z0-9]$/, "6–50 letters, digits and '-', starting with a letter, ending alphanumeric, not ending in -sb or -mgmt (globally unique)"),
    storageAccount: rule(3, 24, /^[a-z0-9]+$/, "3–24 lowercase letters and digits (globally unique)"),
    queue: rule(3, 63, /^[a-z0-9](?!.*--)[-a-z0-9]*[a-z0-9]$/, "3–63 lowercase letters, digits and single '-', starting and ending alphanumeric (Storage queue)"),
    // resource-name-rules.md, Microsoft.ServiceBus: queues and topics 1–260 letters, digits, '.', '-', '_' and '/',
    // starting and ending alphanumeric; subscriptions 1–50 without '/' (ManagementConstants agree: 260, 260, 50). '/' is
    // refused here as well: it nests an entity path, and an ARM child resource name cannot hold it.
    serviceBusEntity: rule(1, 260, /^[A-Za-z0-9]([-\w.]*[A-Za-z0-9])?$/, "1–260 letters, digits, '.', '-' and '_', starting and ending alphanumeric (Service Bus queue or topic)"),
    serviceBusSubscription: rule(1, 50, /^[A-Za-z0-9]([-\w.]*[A-Za-z0-9])?$/, "1–50 letters, digits, '.', '-' and '_', starting and ending alphanumeric (Service Bus subscription)"),
    // ACR scope maps and tokens: 5–50 letters, digits, '-' and '_' (resource-name-rules.md, Microsoft.ContainerRegistry).
    acrToken: rule(5, 50, /^[A-Za-z0-9][-\w]*$/, "5–50 letters, digits, '-' and '_'"),
    // An OCI repository path (distribution/reference: lowercase path components joined by '/'; plan/imageReference.ts).
    acrRepository: rule(1, 255, /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/, "lowercase path components of letters and digits joined by '.', '_', '__', '-' or '/'"),
    blobContainer: rule(3, 63, /^[a-z0-9](?!.*--)[-a-z0-9]*[a-z0-9]$/, "3–63 lowercase letters, digits and single '-'"),
    userAssignedIdentity: rule(3, 128, /^[A-Za-z0-9][-\w]*$/, "3–128 letters, digits, '-' and '_', starting alphanumeric"),
    federatedCredential: rule(3, 120, /^[A-Za-z0-9][-\w]*$/, "3–120 letters, digits, '-' and '_', starting alphanumeric (FACTS §4)"),
    k8sNamespace: rule(1, 63, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "a DNS-1123 label: 1–63 lowercase letters, digits and '-'"),
    k8sObject: rule(1, 253, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "a DNS-1123 subdomain: lowercase letters, digits, '-' and '.'"),
    k8sJob: rule(1, 63, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "a DNS-1123 label of at most 63 (the job-name label on its pods)"),
    k8sCronJob: rule(1, 52, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "a DNS-1123 label of at most 52 (the CronJob controller appends 11 characters to its Jobs)"),
    scaledObject: rule(1, 54, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "at most 54 characters, DNS-1123 (KEDA's HPA is keda-hpa-<name>, ≤ 63)"),
} as const;
export type NameKind = keyof typeof NAME_RULES;

/** Placeholder of uniqueSuffix's length (6 hex): preflight runs before the subscription id is known. */
export const SUFFIX_PLACEHOLDER = "000000";

export const baseName = (namePrefix: string, stack: string): string => dashedName(namePrefix, stack);
export const resourceGroupName = (base: string): string => `${base}-rg`;
export const vnetName = (base: string): string => `${base}-vnet`;
export const NODE_SUBNET = "nodes";
export const VIRTUAL_NODE_SUBNET = "virtual-nodes";
export const clusterName = (base: string): string => `${base}-aks`;
export const controlPlaneIdentityName = (cluster: string): string => `${cluster}-control-plane`;
export const registryName = (namePrefix: string, suffix: string): string => compactName([namePrefix, "acr", suffix], 50);
export const serviceBusNamespaceName = (namePrefix: string, stack: string, suffix: string): string => dashedName(namePrefix, stack, suffix);
export const queueAccountName = (namePrefix: string, suffix: string): string => compactName([namePrefix, "q", suffix], 24);
export const resultsAccountName = (namePrefix: string, suffix: string): string => compactName([namePrefix, "res", suffix], 24);
export const kedaIdentityName = (base: string): string => `${base}-keda`;
export const workloadIdentityName = (base: string, workload: string): string => `${base}-${workload}`;
export const loadIdentityName = (base: string, workload: string): string => `${base}-${workload}-load`;
export const loadServiceAccountName = (workload: string): string => `${workload}-load`;
export const loadJobName = (workload: string): string => `${workload}-load`;
export const triggerAuthenticationName = (workload: string): string => `${workload}-azure-workload`;
/**
 * A federated credential's name: `<namespace>-<serviceAccount>`. The ServiceAccount name alone can be one or two
 * characters, which Entra refuses (3–120); namespace + '-' + name is at least 3 and says what it trusts.
 */
export const federatedCredentialName = (namespace: string, serviceAccount: string): string => `${namespace}-${serviceAccount}`;
export const workloadPulumiName = (workload: string): string => `workload-${workload}`;
export const namespacePulumiName = (namespace: string): string => `namespace-${namespace}`;

/** One derived name: what it is, where it comes from in config, and the rule it must meet. */
export interface DerivedName {
    readonly kind: NameKind;
    readonly name: string;
    /** What the name is, for messages ("identity of workload worker"). */
    readonly what: string;
    /** Config keys it is derived from. */
    readonly keys: readonly string[];
    /** Names must be unique within (kind, scope); "" = shared on purpose, not checked for uniqueness. */
    readonly scope: string;
}

const k = (...path: (string | number)[]) => "kedascale:" + path.map((p, i) => (typeof p === "number" ? `[${p}]` : (i > 0 ? "." : "") + p)).join("");

function workloadNames(base: string, w: WorkloadConfig, i: number): DerivedName[] {
    const nameKey = k("workloads", i, "name");
    const nsKey = k("workloads", i, "namespace");
    const keys = [nameKey];
    const inNs = `namespace ${w.namespace}`;
    const names: DerivedName[] = [
        // Workloads share namespaces: checked for its rule, not for uniqueness.
        { kind: "k8sNamespace", name: w.namespace, what: `namespace of workload ${w.name}`, keys: [nsKey], scope: "" },
        // A virtual-node worker has no identity (ACI runs none): two Secrets instead.
        ...(onVirtualNodes(w)
            ? [
                  { kind: "k8sObject", name: credentialSecretName(w.name), what: `credential Secret of workload ${w.name}`, keys, scope: `Secret in ${inNs}` } as const,
                  ...(imageSource(w).from === "stackRegistry" ? [{ kind: "k8sObject", name: pullSecretName(w.name), what: `image pull Secret of workload ${w.name}`, keys, scope: `Secret in ${inNs}` } as const] : []),
              ]
            : [
                  { kind: "userAssignedIdentity", name: workloadIdentityName(base, w.name), what: `identity of workload ${w.name}`, keys: [k("namePrefix"), nameKey], scope: "resource group" } as const,
                  { kind: "federatedCredential", name: federatedCredentialName(w.namespace, w.name), what: `federated credential of workload ${w.name}`, keys: [nsKey, nameKey], scope: `identity ${workloadIdentityName(base, w.name)}` } as const,
              ]),
        { kind: "k8sObject", name: w.name, what: `ServiceAccount of workload ${w.name}`, keys, scope: `ServiceAccount in ${inNs}` },
        { kind: "k8sObject", name: triggerAuthenticationName(w.name), what: `TriggerAuthentication of workload ${w.name}`, keys, scope: `TriggerAuthentication in ${inNs}` },
        ...(w.kind === "deployment"
            ? [
                  { kind: "k8sObject", name: w.name, what: `Deployment of workload ${w.name}`, keys, scope: `Deployment in ${inNs}` } as const,
                  { kind: "scaledObject", name: w.name, what: `ScaledObject of workload ${w.name}`, keys, scope: `ScaledObject in ${inNs}` } as const,
              ]
            : [{ kind: "k8sObject", name: w.name, what: `ScaledJob of workload ${w.name}`, keys, scope: `ScaledJob in ${inNs}` } as const]),
        { kind: "k8sObject", name: workloadPulumiName(w.name), what: `Pulumi name of workload ${w.name}`, keys, scope: "Pulumi component" },
    ];
    if (w.loadTest) {
        const lt = [nameKey, k("workloads", i, "loadTest")];
        names.push(
            { kind: "userAssignedIdentity", name: loadIdentityName(base, w.name), what: `load-sender identity of workload ${w.name}`, keys: [k("namePrefix"), ...lt], scope: "resource group" },
            { kind: "federatedCredential", name: federatedCredentialName(w.namespace, loadServiceAccountName(w.name)), what: `federated credential of workload ${w.name}'s load sender`, keys: [nsKey, ...lt], scope: `identity ${loadIdentityName(base, w.name)}` },
            { kind: "k8sObject", name: loadServiceAccountName(w.name), what: `load-sender ServiceAccount of workload ${w.name}`, keys: lt, scope: `ServiceAccount in ${inNs}` },
            { kind: "k8sCronJob", name: loadJobName(w.name), what: `load-run template (CronJob) of workload ${w.name}`, keys: lt, scope: `CronJob in ${inNs}` },
        );
    }
    return names;
}

/**
 * Every name the stack would create. `stack` is the Pulumi stack name; `suffix` the 6-hex uniqueSuffix (a
 * placeholder of the same length before the subscription is known: only lengths and charsets depend on it).
 */
/** An ACA workload's Azure names: its two identities (no Kubernetes object, no federated credential). */
function containerAppsWorkloadNames(base: string, w: WorkloadConfig, i: number): DerivedName[] {
    const keys = [k("namePrefix"), k("workloads", i, "name")];
    return [
        { kind: "userAssignedIdentity", name: acaWorkerIdentityName(base, w.name), what: `identity of workload ${w.name} (Container Apps job)`, keys, scope: "resource group" },
        { kind: "userAssignedIdentity", name: acaScalerIdentityName(base, w.name), what: `scale-rule identity of workload ${w.name}`, keys, scope: "resource group" },
    ];
}

/** The entities of some workloads in one broker: queues (and Storage poison queues), topics, subscriptions; shared ones once. */
function entityNames(kind: BrokerKind, workloads: readonly { w: WorkloadConfig; i: number }[], scope: string): DerivedName[] {
    const names: DerivedName[] = [];
    const seen = new Set<string>();
    for (const { w, i } of workloads) {
        const e = workloadEntity(w);
        const keyOf = entityKeys(w, i);
        if (seen.has(entityKey(e))) continue;
        seen.add(entityKey(e));
        if (isQueue(e)) {
            if (kind === "storageQueue") {
                names.push({ kind: "queue", name: e.queue, what: `storage queue of workload ${w.name}`, keys: keyOf, scope });
                names.push({ kind: "queue", name: poisonQueueName(e.queue), what: `poison queue of workload ${w.name}`, keys: keyOf, scope });
            } else names.push({ kind: "serviceBusEntity", name: e.queue, what: `Service Bus queue of workload ${w.name}`, keys: keyOf, scope });
        } else {
            // A topic shared by several subscriptions is one entity; only its name's rule is checked once per name.
            if (!seen.has(`topic:${e.topic}`)) names.push({ kind: "serviceBusEntity", name: e.topic, what: `Service Bus topic of workload ${w.name}`, keys: keyOf, scope });
            seen.add(`topic:${e.topic}`);
            names.push({ kind: "serviceBusSubscription", name: e.subscription, what: `subscription of workload ${w.name}`, keys: keyOf, scope: `topic ${e.topic}` });
        }
    }
    return names;
}

export function derivedNames(cfg: Pick<StackConfig, "namePrefix" | "messaging" | "keda" | "workloads" | "cluster" | "containerApps">, stack: string, suffix = SUFFIX_PLACEHOLDER): DerivedName[] {
    const base = baseName(cfg.namePrefix, stack);
    const prefixKeys = [k("namePrefix")];
    const rg = "resource group";
    const cluster = clusterName(base);
    // An existing cluster (cluster.existing) is read, not created: no VNet, subnets, cluster or control-plane identity.
    // A stack whose every workload runs on Container Apps has no cluster and no KEDA at all.
    const clusterStack = needsCluster(cfg);
    const createdCluster: DerivedName[] = cfg.cluster.existing || !clusterStack
        ? []
        : [
              { kind: "vnet", name: vnetName(base), what: "virtual network", keys: prefixKeys, scope: rg },
              { kind: "subnet", name: NODE_SUBNET, what: "node subnet", keys: [], scope: "vnet" },
              { kind: "managedCluster", name: cluster, what: "AKS cluster", keys: prefixKeys, scope: rg },
              { kind: "dnsPrefix", name: cluster, what: "AKS DNS prefix", keys: prefixKeys, scope: rg },
              { kind: "userAssignedIdentity", name: controlPlaneIdentityName(cluster), what: "AKS control-plane identity", keys: prefixKeys, scope: rg },
              ...(cfg.cluster.virtualNodes ? [{ kind: "subnet", name: VIRTUAL_NODE_SUBNET, what: "virtual-node subnet", keys: [], scope: "vnet" } as const] : []),
          ];
    const names: DerivedName[] = [
        { kind: "resourceGroup", name: resourceGroupName(base), what: "resource group", keys: prefixKeys, scope: "subscription" },
        ...createdCluster,
        { kind: "registry", name: registryName(cfg.namePrefix, suffix), what: "container registry", keys: prefixKeys, scope: "Azure (global)" },
        // Results share a Storage queue's StorageV2 account; otherwise they get an account of their own (azure/messaging.ts).
        ...(cfg.messaging.broker === "storageQueue" && cfg.messaging.results.accountKind === "StorageV2"
            ? []
            : [{ kind: "storageAccount", name: resultsAccountName(cfg.namePrefix, suffix), what: "results storage account", keys: prefixKeys, scope: "Azure (global)" } as const]),
        { kind: "blobContainer", name: cfg.messaging.results.containerName, what: "results container", keys: [k("messaging", "results", "containerName")], scope: "results account" },
    ];
    if (clusterStack) {
        names.push(
            { kind: "userAssignedIdentity", name: kedaIdentityName(base), what: "KEDA's identity", keys: prefixKeys, scope: rg },
            { kind: "federatedCredential", name: federatedCredentialName(cfg.keda.namespace, "keda-operator"), what: "KEDA's federated credential", keys: [k("keda", "namespace")], scope: `identity ${kedaIdentityName(base)}` },
            { kind: "k8sNamespace", name: cfg.keda.namespace, what: "KEDA's namespace", keys: [k("keda", "namespace")], scope: "KEDA" },
        );
    }
    if (cfg.workloads.some(onContainerApps) && cfg.containerApps.infrastructureSubnetCidr !== undefined) {
        const subnetKeys = [k("containerApps", "infrastructureSubnetCidr")];
        if (!createdCluster.some((n) => n.kind === "vnet")) names.push({ kind: "vnet", name: vnetName(base), what: "virtual network", keys: prefixKeys, scope: rg });
        names.push({ kind: "subnet", name: ACA_SUBNET, what: "Container Apps subnet", keys: subnetKeys, scope: "vnet" });
    }
    cfg.workloads.forEach((w, i) => names.push(...(onContainerApps(w) ? containerAppsWorkloadNames(base, w, i) : workloadNames(base, w, i))));
    // Every workload's entity (plan/entities.ts): in the stack's broker, or in the virtual-node broker for ACI workloads.
    const stackWorkloads = cfg.workloads.map((w, i) => ({ w, i })).filter(({ w }) => !readsVirtualNodeBroker(w));
    const vnWorkloads = clusterStack ? cfg.workloads.map((w, i) => ({ w, i })).filter(({ w }) => readsVirtualNodeBroker(w)) : [];
    if (cfg.messaging.broker === "serviceBus") {
        names.push({ kind: "serviceBusNamespace", name: serviceBusNamespaceName(cfg.namePrefix, stack, suffix), what: "Service Bus namespace", keys: prefixKeys, scope: "Azure (global)" });
    } else {
        names.push({ kind: "storageAccount", name: queueAccountName(cfg.namePrefix, suffix), what: "queue storage account", keys: prefixKeys, scope: "Azure (global)" });
    }
    names.push(...entityNames(cfg.messaging.broker, stackWorkloads, cfg.messaging.broker === "serviceBus" ? "Service Bus namespace" : "queue account"));
    // Virtual-node workloads' own broker (issue 12; components/stackArgs.ts virtualNodeMessagingArgs).
    const vn = cfg.messaging.virtualNodes;
    if (vn && vnWorkloads.length > 0) {
        const vnKeys = [k("namePrefix"), k("messaging", "virtualNodes")];
        const vnKind = vn.broker ?? cfg.messaging.broker;
        names.push(
            vnKind === "serviceBus"
                ? { kind: "serviceBusNamespace", name: virtualNodeNames.serviceBusNamespace(cfg.namePrefix, stack, suffix), what: "virtual-node Service Bus namespace", keys: vnKeys, scope: "Azure (global)" }
                : { kind: "storageAccount", name: virtualNodeNames.queueAccount(cfg.namePrefix, suffix), what: "virtual-node queue storage account", keys: vnKeys, scope: "Azure (global)" },
            { kind: "storageAccount", name: virtualNodeNames.resultsAccount(cfg.namePrefix, suffix), what: "virtual-node results storage account", keys: vnKeys, scope: "Azure (global)" },
            ...entityNames(vnKind, vnWorkloads, "virtual-node broker"),
        );
        for (const { w, i } of vnWorkloads) {
            const source = imageSource(w);
            if (source.from !== "stackRegistry") continue;
            names.push({ kind: "acrToken", name: virtualNodeNames.pullToken(base, w.name), what: `image pull token of workload ${w.name}`, keys: [k("namePrefix"), k("workloads", i, "name")], scope: "registry" });
        }
    }
    // Repositories the stack pushes to: the worker's, and one per `image: { build }` (named after the workload).
    names.push({ kind: "acrRepository", name: WORKER_REPOSITORY, what: "kedascale worker repository", keys: [], scope: "registry repository" });
    cfg.workloads.forEach((w, i) => {
        const source = imageSource(w);
        if (source.from === "stackRegistry" && source.build) names.push({ kind: "acrRepository", name: source.repository, what: `image repository of workload ${w.name}`, keys: [k("workloads", i, "name"), k("workloads", i, "image", "build")], scope: "registry repository" });
    });
    return names;
}

/** Where a name breaks its rule, in words; undefined when it is fine. */
export function nameViolation(n: Pick<DerivedName, "kind" | "name">): string | undefined {
    const r = NAME_RULES[n.kind];
    if (n.name.length < r.min || n.name.length > r.max) return `is ${n.name.length} characters, outside ${r.min}–${r.max}`;
    if (!r.pattern.test(n.name)) return `has characters or a shape the service refuses`;
    if (n.kind === "serviceBusNamespace" && /-(sb|mgmt)$/.test(n.name)) return `ends in -sb or -mgmt, which Service Bus refuses`;
    return undefined;
}
