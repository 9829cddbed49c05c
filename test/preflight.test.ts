/**
 * Preflight classes (issue 9): each misconfiguration is refused with a message naming the key, the value and the
 * fix; every error of a config is reported in one pass, schema errors included. Pure: parseConfig, no Pulumi.
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../components/config/load";
import { ConfigError } from "../components/config/rules/problem";
import { osDiskPlan } from "../components/plan/pools";
import { lookupVmSize, VM_SIZES } from "../components/limits/vmSizes";
import { nodeAllocatable } from "../components/limits/platform";
import { runProgram } from "./harness/runProgram";
import { readStackFile } from "./harness/stackConfig";

/** The dev stack's config as parseConfig takes it (keys without the project prefix). */
const dev = Object.fromEntries(Object.entries(readStackFile("dev")).map(([k, v]) => [k.replace(/^kedascale:/, ""), v])) as Record<string, any>;
const spot = (over: Record<string, unknown> = {}) => ({ name: "spot", vmSize: "Standard_D2ds_v5", priority: "Spot", minCount: 0, maxCount: 5, ...over });
const wl = (over: Record<string, unknown> = {}) => ({ name: "worker", kind: "deployment", resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } }, ...over });

/** The errors parseConfig throws for dev plus overrides (whole top-level keys, as `pulumi config set` does). */
function errorsOf(over: Record<string, unknown>, stack = "dev"): string {
    try {
        parseConfig({ ...dev, ...over }, [], { stack });
    } catch (e) {
        if (e instanceof ConfigError) return e.message;
        throw e;
    }
    return "";
}
function warningsOf(over: Record<string, unknown>): string {
    return parseConfig({ ...dev, ...over }, [], { stack: "dev" }).warnings.map((w) => `${w.keys.join(", ")}: ${w.message}. Fix: ${w.fix}`).join("\n");
}

interface Case {
    why: string;
    config: Record<string, unknown>;
    /** Key, value and fix must each appear. */
    key: RegExp;
    value: RegExp;
    fix: RegExp;
}

const CASES: Case[] = [
    // Point 1: OS disks against the VM size table.
    { why: "an explicit Ephemeral OS disk larger than the temp disk", config: { pools: [spot({ osDiskType: "Ephemeral", osDiskSizeGB: 100 })] }, key: /kedascale:pools\[0\]\.osDiskSizeGB/, value: /pool "spot": an Ephemeral OS disk of 100 GB does not fit Standard_D2ds_v5's 75 GiB temp disk/, fix: /set osDiskSizeGB to 75 or less/ },
    { why: "Ephemeral on a size with no local disk", config: { pools: [spot({ vmSize: "Standard_D4s_v5", osDiskType: "Ephemeral" })] }, key: /kedascale:pools\[0\]\.osDiskType, kedascale:pools\[0\]\.vmSize/, value: /osDiskType "Ephemeral" on Standard_D4s_v5, which has no local disk/, fix: /e\.g\. Standard_D4ds_v5.*or set osDiskType "Managed"/ },
    { why: "Ephemeral on a cache too small for a node image", config: { pools: [spot({ vmSize: "Standard_B1s", osDiskType: "Ephemeral" })] }, key: /kedascale:pools\[0\]\.osDiskType/, value: /Standard_B1s's temp disk is 4 GiB, below the 30 GiB/, fix: /osDiskType "Managed"/ },
    { why: "a system pool explicit Ephemeral disk too large", config: { cluster: { ...dev.cluster, systemPool: { ...dev.cluster.systemPool, osDiskType: "Ephemeral", osDiskSizeGB: 200 } } }, key: /kedascale:cluster\.systemPool\.osDiskSizeGB/, value: /system pool "system": an Ephemeral OS disk of 200 GB does not fit Standard_D4ds_v5's 150 GiB/, fix: /150 or less/ },
    { why: "a B-series system pool with 4 vCPUs", config: { cluster: { ...dev.cluster, systemPool: { ...dev.cluster.systemPool, vmSize: "Standard_B4ms" } } }, key: /kedascale:cluster\.systemPool\.vmSize/, value: /Standard_B4ms cannot host a system pool.*B-series \(burstable\)/, fix: /Standard_D4ds_v5/ },
    // Point 3: names.
    { why: "two workloads with one name in different namespaces", config: { workloads: [wl(), wl({ namespace: "other" })] }, key: /kedascale:workloads\[0\]\.name, kedascale:workloads\[1\]\.name/, value: /two workloads are named "worker" \(namespaces "workloads" and "other"\)/, fix: /unique name, whatever its namespace/ },
    { why: "a workload named like KEDA's identity", config: { workloads: [wl({ name: "keda" })] }, key: /kedascale:namePrefix, kedascale:workloads\[0\]\.name/, value: /KEDA's identity and the identity of workload keda would both be named "kedascale-dev-keda"/, fix: /rename one/ },
    { why: "a stack name that makes the AKS DNS prefix too long", config: {}, key: /kedascale:namePrefix/, value: /AKS DNS prefix's name "kedascale-a{50}-aks".* outside 1–54/, fix: /namePrefix.*or the stack name/ },
    // Real lists.
    { why: "a misspelt region", config: { location: "westeruope" }, key: /kedascale:location/, value: /"westeruope" is not an Azure public-cloud region/, fix: /"westeurope"/ },
    { why: "a Kubernetes version out of AKS support", config: { cluster: { ...dev.cluster, kubernetesVersion: "1.31" } }, key: /kedascale:cluster\.kubernetesVersion/, value: /"1\.31": Kubernetes 1\.31 is out of AKS community support/, fix: /use one of 1\.34, 1\.35, 1\.36/ },
    { why: "a Kubernetes version not GA yet", config: { cluster: { ...dev.cluster, kubernetesVersion: "1.38" } }, key: /kedascale:cluster\.kubernetesVersion/, value: /"1\.38": Kubernetes 1\.38 is not GA on AKS yet/, fix: /1\.34, 1\.35, 1\.36/ },
    { why: "KEDA chart 2.20.1", config: { keda: { chartVersion: "2.20.1" } }, key: /kedascale:keda\.chartVersion/, value: /KEDA chart "2\.20\.1": its CRDs reject scalingStrategy\.strategy "default"/, fix: /use "2\.20\.2"/ },
    { why: "an untested KEDA chart", config: { keda: { chartVersion: "2.17.0" } }, key: /kedascale:keda\.chartVersion/, value: /KEDA chart "2\.17\.0" is not a version kedascale is tested with/, fix: /use "2\.20\.2"/ },
    // Capacity that can never fit.
    { why: "a pod request above every node's allocatable", config: { workloads: [wl({ resources: { requests: { cpu: "2", memory: "1Gi" }, limits: { memory: "1Gi" } } })] }, key: /kedascale:workloads\[0\]\.resources\.requests/, value: /requests cpu 2 \/ memory 1Gi fit no node workload "worker" may run on: the largest, pool "spot" \(Standard_D2ds_v5\), has 1900m CPU/, fix: /lower the requests below 1900m/ },
    { why: "more Spot replicas than the Spot pools hold", config: { workloads: [wl({ maxReplicaCount: 100, resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Gi" } } })] }, key: /kedascale:workloads\[0\]\.maxReplicaCount, kedascale:pools/, value: /maxReplicaCount 100 of workload "worker" .* exceeds the 5 pods the Spot pools hold at maxCount \(capacity summary: 10 Spot vCPUs\)/, fix: /lower maxReplicaCount to 5/ },
    { why: "a Job deadline shorter than its work", config: { workloads: [wl({ kind: "job", job: { activeDeadlineSeconds: 60 }, loadTest: { messages: 10, workMs: 120000 } })] }, key: /kedascale:workloads\[0\]\.job\.activeDeadlineSeconds, kedascale:workloads\[0\]\.loadTest\.workMs/, value: /activeDeadlineSeconds 60 is not longer than one message's work \(loadTest\.workMs 120000 = 120 s\)/, fix: /above 120/ },
    { why: "kubenet beyond 400 nodes", config: { network: { plugin: "kubenet", podCidr: "100.64.0.0/14" }, cluster: { ...dev.cluster, tier: "Standard", virtualNodes: false }, pools: [spot({ maxCount: 500, vmSize: "Standard_D4ds_v5" })] }, key: /kedascale:network\.plugin, kedascale:pools/, value: /route table of at most 400 routes, but the pools reach 502 nodes \(Σ maxCount \+ upgrade surge\)/, fix: /"azureOverlay"/ },
    // Settings with no effect.
    { why: "cooldownPeriod on a job", config: { workloads: [wl({ kind: "job", cooldownPeriod: 60 })] }, key: /kedascale:workloads\[0\]\.cooldownPeriod/, value: /cooldownPeriod 60 has no effect on kind "job"/, fix: /remove cooldownPeriod/ },
    { why: "inflight on a job", config: { workloads: [wl({ kind: "job", inflight: 4 })] }, key: /kedascale:workloads\[0\]\.inflight/, value: /inflight 4 has no effect on kind "job"/, fix: /remove inflight/ },
    { why: "job settings on a deployment", config: { workloads: [wl({ job: { backoffLimit: 3 } })] }, key: /kedascale:workloads\[0\]\.job/, value: /job settings \{"backoffLimit":3\} have no effect on kind "deployment"/, fix: /remove job/ },
    { why: "spotAffinity off Spot", config: { workloads: [wl({ placement: "any", spotAffinity: "preferred" })] }, key: /kedascale:workloads\[0\]\.spotAffinity/, value: /spotAffinity "preferred" has no effect with placement "any"/, fix: /set placement to "spot"/ },
    { why: "fallback replicas above the maximum", config: { workloads: [wl({ maxReplicaCount: 3, fallback: { failureThreshold: 3, replicas: 5 } })] }, key: /kedascale:workloads\[0\]\.fallback\.replicas, kedascale:workloads\[0\]\.maxReplicaCount/, value: /fallback\.replicas 5 is above maxReplicaCount 3/, fix: /3 or less/ },
    { why: "Storage-queue settings with the Service Bus broker", config: { messaging: { ...dev.messaging, storageQueue: { maxDequeueCount: 3 } } }, key: /kedascale:messaging\.storageQueue, kedascale:messaging\.broker/, value: /messaging\.storageQueue settings have no effect: broker is "serviceBus"/, fix: /remove messaging\.storageQueue/ },
    { why: "Service Bus settings with the Storage broker", config: { messaging: { broker: "storageQueue", serviceBus: { lockDuration: "PT2M" } } }, key: /kedascale:messaging\.serviceBus/, value: /messaging\.serviceBus settings have no effect: broker is "storageQueue"/, fix: /remove messaging\.serviceBus/ },
    { why: "a pod CIDR on node-subnet CNI", config: { network: { plugin: "azureNodeSubnet", podCidr: "10.244.0.0/16" } }, key: /kedascale:network\.podCidr/, value: /podCidr "10\.244\.0\.0\/16" has no effect with plugin "azureNodeSubnet"/, fix: /remove podCidr/ },
    { why: "Cilium on kubenet", config: { network: { plugin: "kubenet", dataplane: "cilium" }, cluster: { ...dev.cluster, virtualNodes: false } }, key: /kedascale:network\.dataplane/, value: /dataplane "cilium" is ignored with plugin "kubenet"/, fix: /"azureOverlay"/ },
    { why: "a virtual-node subnet with virtual nodes off", config: { cluster: { ...dev.cluster, virtualNodes: false }, network: { plugin: "azureNodeSubnet", virtualNodeSubnetCidr: "10.225.0.0/16" } }, key: /kedascale:network\.virtualNodeSubnetCidr/, value: /virtualNodeSubnetCidr "10\.225\.0\.0\/16" has no effect/, fix: /set cluster\.virtualNodes to true/ },
    { why: "an API QPS above its burst", config: { keda: { kubeApiQps: 200, kubeApiBurst: 100 } }, key: /kedascale:keda\.kubeApiQps, kedascale:keda\.kubeApiBurst/, value: /kubeApiQps 200 is above kubeApiBurst 100/, fix: /at least 200/ },
    { why: "a reserved node-label prefix", config: { pools: [spot({ labels: { "kubernetes.azure.com/role": "x" } })] }, key: /kedascale:pools\[0\]\.labels\.kubernetes\.azure\.com\/role/, value: /label "kubernetes\.azure\.com\/role" uses a prefix reserved/, fix: /example\.com\/role/ },
    { why: "a node-role.kubernetes.io label", config: { pools: [spot({ labels: { "node-role.kubernetes.io/worker": "" } })] }, key: /kedascale:pools\[0\]\.labels\.node-role\.kubernetes\.io\/worker/, value: /reserved for Kubernetes and AKS/, fix: /example\.com\/worker/ },
    { why: "an autoscaler override with no autoscaled pool", config: { pools: [spot({ minCount: 2, maxCount: 2 })], cluster: { ...dev.cluster, autoscaler: { scanInterval: "30s" } } }, key: /kedascale:cluster\.autoscaler/, value: /cluster\.autoscaler has no effect: every pool has minCount = maxCount/, fix: /give a pool minCount < maxCount/ },
];

describe("preflight refuses each class of misconfiguration, naming key, value and fix", () => {
    it.each(CASES)("$why", (c) => {
        const stack = c.why.startsWith("a stack name") ? "a".repeat(50) : "dev";
        const message = errorsOf(c.config, stack);
        expect(message, "preflight should have refused this config").toMatch(/kedascale config is invalid/);
        const line = message.split("\n").find((l) => c.value.test(l));
        expect(line, `no line matches ${c.value}:\n${message}`).toBeDefined();
        expect(line).toMatch(c.key);
        expect(line).toMatch(c.fix);
    });
});

describe("all errors at once", () => {
    it("reports schema errors of several sections and the cross-field errors of the sections that parsed, together", () => {
        const message = errorsOf({
            pools: [spot({ maxCount: "5" })], // schema error: pools does not parse
            cluster: { ...dev.cluster, tier: "Gold" }, // schema error: cluster does not parse
            keda: { kubeApiQps: 200, kubeApiBurst: 100 }, // cross-field, keda parsed
            location: "marsnorth", // real list
            messaging: { broker: "storageQueue", serviceBus: { sku: "Standard" } }, // no effect
        });
        expect(message).toMatch(/kedascale:pools\[0\]\.maxCount: .*got "5"/);
        expect(message).toMatch(/kedascale:cluster\.tier: .*got "Gold"/);
        expect(message).toMatch(/kubeApiQps 200 is above kubeApiBurst 100/);
        expect(message).toMatch(/"marsnorth" is not an Azure public-cloud region/);
        expect(message).toMatch(/messaging\.serviceBus settings have no effect/);
        expect(message).toMatch(/\(5 problems\)/);
    });

    it("does not invent errors from defaults of a section that failed to parse", () => {
        // pools fails to parse; the "no Spot pool" rule reads pools, so it must be skipped, not run on [].
        const message = errorsOf({ pools: [spot({ priority: "Cheap" })] });
        expect(message).toMatch(/kedascale:pools\[0\]\.priority/);
        expect(message).not.toMatch(/no pool under kedascale:pools has priority "Spot"/);
    });
});

describe("warnings", () => {
    it("names an unknown VM size", () => expect(warningsOf({ pools: [spot({ vmSize: "Standard_D2ds_v9" })] })).toMatch(/kedascale:pools\[0\]\.vmSize: Standard_D2ds_v9 \(pool "spot"\) is not in kedascale's VM size table/));
    it("warns when KEDA's default maxReplicaCount exceeds what the Spot pools hold", () => expect(warningsOf({ workloads: [wl({ resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "1Gi" } } })], messaging: { broker: "serviceBus" } })).toMatch(/kedascale:workloads\[0\]\.maxReplicaCount, kedascale:pools: maxReplicaCount 100 .* exceeds the 5 pods/));
    it("says when a pool falls back to a Managed OS disk", () => expect(warningsOf({ pools: [spot({ vmSize: "Standard_D2s_v5" })] })).toMatch(/Standard_D2s_v5 gets a Managed OS disk because it has no local disk.*e\.g\. Standard_D2ds_v5/));
});

describe("OS disk decision (plan/pools.ts osDiskPlan)", () => {
    it.each([
        // [vmSize, osDiskType, osDiskSizeGB, rendered type, rendered size]
        ["Standard_D2ds_v5", undefined, undefined, "Ephemeral", 75], // dev's Spot pool: AKS default 128 cut to the 75 GiB temp disk
        ["Standard_D2ds_v5", "Ephemeral", undefined, "Ephemeral", 75],
        ["Standard_D4ds_v5", "Ephemeral", undefined, "Ephemeral", 128], // default fits the 150 GiB temp disk
        ["Standard_D8ds_v5", undefined, undefined, "Ephemeral", 256], // 8 vCPUs: AKS default 256, temp 300
        ["Standard_D16ds_v5", undefined, undefined, "Ephemeral", 512],
        ["Standard_D4ds_v4", "Ephemeral", 75, "Ephemeral", 75], // scale1000's explicit size
        ["Standard_D2s_v3", undefined, undefined, "Ephemeral", 50], // cache disk (50 GiB) wins over the 16 GiB temp disk
        ["Standard_D4s_v5", undefined, undefined, "Managed", undefined], // no local disk: AKS's fallback
        ["Standard_D4ds_v5", "Managed", undefined, "Managed", undefined],
        ["Standard_D2ds_v5", undefined, 100, "Managed", 100], // asked size does not fit: AKS would make it Managed
    ] as const)("%s %s %s → %s %s", (vmSize, osDiskType, osDiskSizeGB, type, size) => {
        const plan = osDiskPlan({ vmSize, osDiskType, osDiskSizeGB });
        expect(plan.osDiskType).toBe(type);
        expect(plan.osDiskSizeGB).toBe(size);
    });

    it("never renders an Ephemeral disk larger than the local disk, for every size in the table", () => {
        for (const size of VM_SIZES.values()) {
            for (const osDiskType of [undefined, "Ephemeral"] as const) {
                const plan = osDiskPlan({ vmSize: size.name, osDiskType, osDiskSizeGB: undefined });
                if (plan.osDiskType === "Ephemeral" && plan.issue === undefined) expect(plan.osDiskSizeGB!).toBeLessThanOrEqual(plan.largestEphemeralGB!);
            }
        }
    });
});

describe("VM size table and AKS reservations", () => {
    it("holds the documented local disks (azure-compute-docs size pages)", () => {
        expect(lookupVmSize("Standard_D2ds_v5")).toMatchObject({ vcpus: 2, memoryGiB: 8, tempGiB: 75 });
        expect(lookupVmSize("standard_d4ds_v4")).toMatchObject({ vcpus: 4, memoryGiB: 16, tempGiB: 150 });
        expect(lookupVmSize("Standard_E20ds_v5")).toMatchObject({ memoryGiB: 160, tempGiB: 750 });
        expect(lookupVmSize("Standard_D2s_v3")).toMatchObject({ tempGiB: 16, cacheGiB: 50 });
        expect(lookupVmSize("Standard_D96as_v4")).toMatchObject({ tempGiB: 768 });
        expect(lookupVmSize("Standard_D8s_v5")).toMatchObject({ tempGiB: 0 });
        expect(lookupVmSize("Standard_B2ms")).toMatchObject({ burstable: true, tempGiB: 16 });
    });
    it("computes allocatable as the AKS doc's examples do", () => {
        // node-resource-reservations.md: 8 GB, 30 pods → 650 MB kube-reserved + 100 Mi eviction.
        expect(nodeAllocatable({ vcpus: 2, memoryGiB: 8 }, 30)).toEqual({ cpuMillis: 1900, memoryMiB: 8192 - 650 - 100 });
        // 4 GB, 70 pods → 25 % (1,024) is less than 20 × 70 + 50.
        expect(nodeAllocatable({ vcpus: 4, memoryGiB: 4 }, 70)).toEqual({ cpuMillis: 3860, memoryMiB: 4096 - 1024 - 100 });
        expect(nodeAllocatable({ vcpus: 64, memoryGiB: 256 }, 250).cpuMillis).toBe(64000 - 740);
    });
});

describe("dev's Spot pool (issue 9 point 1)", () => {
    it("is rendered with an Ephemeral OS disk of 75 GB, which fits Standard_D2ds_v5's 75 GiB temp disk (AKS's 128 GB default would not)", async () => {
        const run = await runProgram("dev");
        expect(run.one("azure-native:containerservice:AgentPool").inputs).toMatchObject({ vmSize: "Standard_D2ds_v5", osDiskType: "Ephemeral", osDiskSizeGB: 75 });
        // The system pool (D4ds_v5, 150 GiB temp) keeps AKS's default size, stated: 128.
        expect(run.one("azure-native:containerservice:ManagedCluster").inputs.agentPoolProfiles[0]).toMatchObject({ osDiskType: "Ephemeral", osDiskSizeGB: 128 });
    });
});
