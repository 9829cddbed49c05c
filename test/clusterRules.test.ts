/**
 * Cluster arithmetic a real AKS applies (issue 23 points 4–7, 13): where an ephemeral OS disk lives on each VM size,
 * upgrade surge counted in quota, pod CIDR, node subnet and SNAT (and never set on Spot pools, which AKS refuses),
 * the burst autoscaler preset as AKS documents it, system nodes sized for a large cluster, IP-based load-balancer
 * backend pools. Pure: parseConfig and the plan functions, no Pulumi.
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../components/config/load";
import { ConfigError } from "../components/config/rules/problem";
import { ephemeralPlacement, lookupVmSize } from "../components/limits/vmSizes";
import { AUTOSCALER_PRESETS } from "../components/plan/autoscaler";
import { kedaChartValues } from "../components/plan/kedaChart";
import { capacitySummary } from "../components/plan/capacity";
import { networkProfileSpec, nodePoolSpec } from "../components/plan/clusterSpec";
import { osDiskPlan, peakClusterNodes, surgeNodes } from "../components/plan/pools";
import { readStackFile } from "./harness/stackConfig";

const stackConfigOf = (stack: string) => Object.fromEntries(Object.entries(readStackFile(stack)).map(([k, v]) => [k.replace(/^kedascale:/, ""), v])) as Record<string, any>;
const dev = stackConfigOf("dev");
const scale1000 = stackConfigOf("scale1000");
const spot = (over: Record<string, unknown> = {}) => ({ name: "spot", vmSize: "Standard_D2ds_v5", priority: "Spot", minCount: 0, maxCount: 5, ...over });

function problemsOf(base: Record<string, any>, over: Record<string, unknown>, stack = "dev"): { errors: string; warnings: string } {
    try {
        const { warnings } = parseConfig({ ...base, ...over }, [], { stack });
        return { errors: "", warnings: warnings.map((w) => `${w.keys.join(", ")}: ${w.message}. Fix: ${w.fix}`).join("\n") };
    } catch (e) {
        if (e instanceof ConfigError) return { errors: e.message, warnings: "" };
        throw e;
    }
}

describe("ephemeral OS disk placement on each VM size (point 4)", () => {
    it.each([
        // [size, placement, GiB]: previous generations with a cache place the OS disk there, not on the temp disk.
        ["Standard_D2ds_v4", "cache", 50],
        ["Standard_D4ds_v4", "cache", 100],
        ["Standard_D64ds_v4", "cache", 1600],
        ["Standard_E20ds_v4", "cache", 500],
        ["Standard_D96as_v4", "cache", 2400],
        ["Standard_D2s_v3", "cache", 50],
        ["Standard_F2s_v2", "cache", 32],
        ["Standard_F72s_v2", "cache", 1520],
        // Ddv4 has no Premium Storage caching and publishes no cache: its temp disk.
        ["Standard_D4d_v4", "temp", 150],
        // The current generation has no cache, only a temp disk.
        ["Standard_D4ds_v5", "temp", 150],
        ["Standard_E2ds_v5", "temp", 75],
        // v6: local NVMe, the OS on one disk of it.
        ["Standard_D4ds_v6", "nvme", 220],
        ["Standard_D32ds_v6", "nvme", 440],
        ["Standard_D4s_v5", "none", 0],
    ] as const)("%s → %s, %i GiB", (name, placement, gib) => {
        expect(ephemeralPlacement(lookupVmSize(name)!)).toEqual({ placement, maxGiB: gib });
    });

    it("renders the default Ephemeral disk that fits the cache: 100 GB on a D4ds_v4, 50 on a D2ds_v4 (not 128)", () => {
        expect(osDiskPlan({ vmSize: "Standard_D4ds_v4", osDiskType: undefined, osDiskSizeGB: undefined })).toMatchObject({ osDiskType: "Ephemeral", osDiskSizeGB: 100, placement: "cache" });
        expect(osDiskPlan({ vmSize: "Standard_D2ds_v4", osDiskType: "Ephemeral", osDiskSizeGB: undefined })).toMatchObject({ osDiskType: "Ephemeral", osDiskSizeGB: 50 });
    });

    it("refuses an Ephemeral disk that fits the temp disk but not the cache, naming the cache", () => {
        const { errors } = problemsOf(dev, { pools: [spot({ vmSize: "Standard_D2ds_v4", osDiskType: "Ephemeral", osDiskSizeGB: 75 })] });
        expect(errors).toMatch(/kedascale:pools\[0\]\.osDiskSizeGB.*pool "spot": an Ephemeral OS disk of 75 GB does not fit Standard_D2ds_v4's 50 GiB cache disk.*set osDiskSizeGB to 50 or less/);
    });

    it("keeps scale1000's Spot pool (D4ds_v4, Ephemeral 75 GB) inside its 100 GiB cache", () => {
        const pool = scale1000.pools[0];
        expect(osDiskPlan(pool)).toMatchObject({ osDiskType: "Ephemeral", osDiskSizeGB: 75, placement: "cache", largestEphemeralGB: 100 });
    });
});

describe("upgrade surge (point 5)", () => {
    it("counts a percentage of the pool rounded up, a count as given, and nothing on Spot pools", () => {
        expect(surgeNodes({ priority: "Regular", maxCount: 998, maxSurge: undefined })).toBe(100); // 10 % default
        expect(surgeNodes({ priority: "Regular", maxCount: 2, maxSurge: undefined })).toBe(1);
        expect(surgeNodes({ priority: "Regular", maxCount: 10, maxSurge: "33%" })).toBe(4);
        expect(surgeNodes({ priority: "Regular", maxCount: 10, maxSurge: "5" })).toBe(5);
        expect(surgeNodes({ priority: "Regular", maxCount: 3, maxSurge: "5" })).toBe(3); // never more than the nodes upgraded
        expect(surgeNodes({ priority: "Spot", maxCount: 998, maxSurge: undefined })).toBe(0);
    });

    it("renders maxSurge on every Regular pool and never on a Spot pool (ARM: \"Spot pools can't set max surge\")", () => {
        const opts = { plugin: "azureOverlay" as const, system: false, onlyCriticalAddons: false };
        const base = { name: "p", vmSize: "Standard_D4ds_v5", minCount: 0, maxCount: 10, osDiskType: undefined, osDiskSizeGB: undefined, maxPods: undefined, zones: [], labels: {}, taints: [] };
        expect(nodePoolSpec({ ...base, priority: "Regular", maxSurge: undefined }, opts).upgradeSettings).toEqual({ maxSurge: "10%" });
        expect(nodePoolSpec({ ...base, priority: "Regular", maxSurge: "33%" }, opts).upgradeSettings).toEqual({ maxSurge: "33%" });
        expect(nodePoolSpec({ ...base, priority: "Spot", maxSurge: undefined }, opts)).not.toHaveProperty("upgradeSettings");
    });

    it("accepts maxSurge as a number or a percentage string, and refuses other shapes at the schema", () => {
        const ok = parseConfig({ ...dev, pools: [spot(), { name: "od", vmSize: "Standard_D4ds_v5", maxCount: 4, maxSurge: 2 }] }, [], { stack: "dev" });
        expect(ok.config.pools[1].maxSurge).toBe("2");
        const { errors } = problemsOf(dev, { pools: [spot(), { name: "od", vmSize: "Standard_D4ds_v5", maxCount: 4, maxSurge: "150%" }] });
        expect(errors).toMatch(/kedascale:pools\[1\]\.maxSurge: .*percentage from 1% to 100%/);
    });

    it("refuses maxSurge on a Spot pool: no effect, and AKS refuses it", () => {
        const { errors } = problemsOf(dev, { pools: [spot({ maxSurge: "10%" })] });
        expect(errors).toMatch(/kedascale:pools\[0\]\.maxSurge, kedascale:pools\[0\]\.priority: maxSurge "10%" on Spot pool "spot" has no effect and AKS refuses it.*Fix: remove maxSurge/);
    });

    it("refuses a Regular pool whose maxCount plus surge exceeds one scale set's 1,000 instances", () => {
        const { errors } = problemsOf(dev, { pools: [spot(), { name: "od", vmSize: "Standard_D4ds_v5", maxCount: 950 }], cluster: { ...dev.cluster, tier: "Standard", virtualNodes: false }, network: { plugin: "azureOverlay", podCidr: "100.64.0.0/12" } });
        expect(errors).toMatch(/kedascale:pools\[1\]\.maxSurge, kedascale:pools\[1\]\.maxCount: pool "od" at maxCount 950 plus its upgrade surge of 95 node\(s\) .* exceeds the 1000 instances of one scale set.*lower maxCount to 905 or less/);
    });

    it("counts surge nodes in the pod CIDR: 998 Regular nodes need 1,100 /24s, more than a /14 holds", () => {
        const pools = [{ name: "worker", vmSize: "Standard_D4ds_v4", priority: "Regular", minCount: 0, maxCount: 998, osDiskType: "Ephemeral", osDiskSizeGB: 75 }];
        const { errors } = problemsOf(scale1000, { pools }, "scale1000");
        expect(errors).toMatch(/kedascale:network\.podCidr, kedascale:cluster\.systemPool\.maxSurge, kedascale:pools: azureOverlay gives each node a \/24, so Σ\(maxCount \+ upgrade surge\) = 1101 nodes need 1101 \/24s, but 100\.64\.0\.0\/14 holds 1024/);
        // and the scale set could not take the surge either
        expect(errors).toMatch(/pool "worker" at maxCount 998 plus its upgrade surge of 100 node\(s\)/);
    });

    it("counts surge in node-subnet CNI addresses", () => {
        const { errors } = problemsOf(dev, { network: { ...dev.network, nodeSubnetCidr: "10.224.0.0/25" } });
        expect(errors).toMatch(/kedascale:network\.nodeSubnetCidr, kedascale:cluster\.systemPool\.maxSurge, kedascale:pools: node-subnet CNI needs \d+ addresses for Σ\(maxCount\+surge\)×\(maxPods\+1\)/);
    });

    it("sizes scale1000 with surge: 1,001 nodes at peak, /24s, SNAT and the quota it prints", () => {
        const { config } = parseConfig(scale1000, [], { stack: "scale1000" });
        expect(peakClusterNodes(config)).toBe(998 + 2 + 1);
        const cap = capacitySummary(config);
        // Spot: no surge. System: 2 × D16ds_v5 plus one surge node.
        expect(cap.quotaToRequest).toEqual({ lowPriorityCores: 998 * 4, standardDDSv5Family: 3 * 16, cores: 3 * 16 });
        expect(cap.pools.map((p) => [p.pool, p.surgeNodes])).toEqual([["system", 1], ["worker", 0]]);
    });
});

describe("burst autoscaler preset (point 6)", () => {
    it("is AKS's documented bursty profile, value for value, plus least-waste and balanced similar pools", () => {
        // aks-docs cluster-autoscaler.md, "Configure cluster autoscaler profile for bursty workloads".
        expect(AUTOSCALER_PRESETS.burst).toMatchObject({
            scanInterval: "20s",
            scaleDownDelayAfterAdd: "10m",
            scaleDownDelayAfterFailure: "1m",
            scaleDownUnneededTime: "5m",
            scaleDownUnreadyTime: "5m",
            maxGracefulTerminationSec: "30",
            skipNodesWithLocalStorage: "false",
            maxEmptyBulkDelete: "100",
            maxTotalUnreadyPercentage: "100",
            okTotalUnreadyCount: "1000",
            maxNodeProvisionTime: "15m",
        });
        expect(AUTOSCALER_PRESETS.burst).toMatchObject({ expander: "least-waste", balanceSimilarNodeGroups: "true" });
    });

    it("refuses a workload whose shutdown grace is longer than the preset lets the autoscaler wait", () => {
        const w = { name: "sys", kind: "deployment", placement: "system", resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } } };
        const messaging = { ...dev.messaging, virtualNodes: undefined };
        const { errors } = problemsOf(dev, { cluster: { ...dev.cluster, autoscalerPreset: "burst" }, workloads: [w], messaging });
        expect(errors).toMatch(/kedascale:workloads\[0\]\.terminationGracePeriodSeconds, kedascale:cluster\.autoscaler\.maxGracefulTerminationSec, kedascale:cluster\.autoscalerPreset: workload "sys" has terminationGracePeriodSeconds 60 \(its placement's default\), but the "burst" autoscaler preset's maxGracefulTerminationSec is 30/);
        expect(errors).toMatch(/set cluster\.autoscaler\.maxGracefulTerminationSec to "60" or more/);
        expect(problemsOf(dev, { cluster: { ...dev.cluster, autoscalerPreset: "burst", autoscaler: { maxGracefulTerminationSec: "60" } }, workloads: [w], messaging }).errors).toBe("");
    });

    it("refuses an autoscaler value AKS would refuse", () => {
        expect(problemsOf(dev, { cluster: { ...dev.cluster, autoscaler: { scaleDownUnreadyTime: "300s" } } }).errors).toMatch(/kedascale:cluster\.autoscaler\.scaleDownUnreadyTime: "300s" is not a value AKS accepts.*whole minutes/);
        expect(problemsOf(dev, { cluster: { ...dev.cluster, autoscaler: { maxEmptyBulkDelete: 0 } } }).errors).toMatch(/kedascale:cluster\.autoscaler\.maxEmptyBulkDelete: "0" deletes no empty node/);
    });
});

describe("system nodes at scale (point 7)", () => {
    it("warns when a large cluster keeps D4ds_v5 system nodes, naming D16ds_v5", () => {
        const system = { ...scale1000.cluster.systemPool, vmSize: "Standard_D4ds_v5" };
        const { warnings } = problemsOf(scale1000, { cluster: { ...scale1000.cluster, systemPool: system } }, "scale1000");
        expect(warnings).toMatch(/kedascale:cluster\.systemPool\.vmSize, kedascale:pools: the pools can reach 1000 nodes, but the system pool runs on Standard_D4ds_v5 \(4 vCPUs, 16 GiB\).*Standard_D16ds_v5/);
    });
    it("does not warn for scale1000 as shipped, nor for a small cluster", () => {
        expect(problemsOf(scale1000, {}, "scale1000")).toEqual({ errors: "", warnings: expect.not.stringMatching(/system pool runs on/) });
        expect(problemsOf(dev, {}).warnings).not.toMatch(/system pool runs on/);
    });
});

describe("load-balancer backend pools (point 13)", () => {
    it("renders IP-based (NodeIP) membership when asked, and the legacy NIC-based one by default", () => {
        const net = { plugin: "azureOverlay" as const, dataplane: "azure" as const, podCidr: "10.244.0.0/16", serviceCidr: "10.0.0.0/16", dnsServiceIP: "10.0.0.10" };
        expect(networkProfileSpec(net, undefined, "NodeIP").loadBalancerProfile.backendPoolType).toBe("NodeIP");
        expect(networkProfileSpec(net).loadBalancerProfile.backendPoolType).toBe("NodeIPConfiguration");
    });
});

describe("documented bounds of the settings around the cluster (Preflight)", () => {
    const sb = (over: Record<string, unknown>) => ({ messaging: { ...dev.messaging, serviceBus: { ...(dev.messaging?.serviceBus ?? {}), ...over } } });

    it.each([
        ["a duplicate-detection window under 20 s", { requiresDuplicateDetection: true, duplicateDetectionHistoryTimeWindow: "PT10S" }, /kedascale:messaging\.serviceBus\.duplicateDetectionHistoryTimeWindow: "PT10S" \(10 s\) is outside Service Bus's duplicate-detection window of 20 seconds to 7 days.*"PT20S" to "P7D"/],
        ["a duplicate-detection window over 7 days", { requiresDuplicateDetection: true, duplicateDetectionHistoryTimeWindow: "P8D" }, /"P8D" \(691200 s\) is outside/],
        ["a zero time to live", { defaultMessageTimeToLive: "PT0S" }, /kedascale:messaging\.serviceBus\.defaultMessageTimeToLive: "PT0S" expires every message as it arrives/],
        ["a session queue the worker cannot receive from", { requiresSession: true }, /kedascale:messaging\.serviceBus\.requiresSession: requiresSession is true, but kedascale's worker receives without sessions.*set messaging\.serviceBus\.requiresSession to false/],
    ])("refuses %s", (_why, over, expected) => {
        expect(problemsOf(dev, sb(over)).errors).toMatch(expected);
    });

    it("warns when messages expire within one lock", () => {
        expect(problemsOf(dev, sb({ defaultMessageTimeToLive: "PT30S" })).warnings).toMatch(/defaultMessageTimeToLive "PT30S" is no longer than one lock \(PT1M\)/);
    });

    it("refuses KEDA operator requests no system node can hold", () => {
        const { errors } = problemsOf(dev, { keda: { operatorResources: { cpu: "8", memory: "256Mi", memoryLimit: "1Gi" } } });
        expect(errors).toMatch(/kedascale:keda\.operatorResources\.cpu, kedascale:cluster\.systemPool\.vmSize: KEDA's operator requests cpu 8, but it runs on the system pool, whose Standard_D4ds_v5 nodes have 3860m CPU/);
    });
});

describe("KEDA operator CPU against the chart's default limit (kedacore/charts v2.20.2 values.yaml: limits.cpu 1)", () => {
    const keda = { chartVersion: "2.20.2", namespace: "keda", kubeApiQps: 20, kubeApiBurst: 30, scaledObjectMaxReconciles: 5, scaledJobMaxReconciles: 1 };
    it("raises the rendered limit to a request above 1 CPU, and keeps the chart's 1 CPU below it", () => {
        const high = kedaChartValues({ ...keda, operatorResources: { cpu: "1500m", memory: "256Mi", memoryLimit: "1Gi" } }, undefined) as any;
        expect(high.resources.operator).toEqual({ requests: { cpu: "1500m", memory: "256Mi" }, limits: { cpu: "1500m", memory: "1Gi" } });
        const low = kedaChartValues({ ...keda, operatorResources: { cpu: "100m", memory: "256Mi", memoryLimit: "1Gi" } }, undefined) as any;
        expect(low.resources.operator.limits).toEqual({ cpu: "1", memory: "1Gi" });
    });
});

describe("the virtual-node subnet holds every ACI pod", () => {
    it("refuses a subnet smaller than the virtual-node workloads at maxReplicaCount", () => {
        const { errors } = problemsOf(dev, { network: { ...dev.network, virtualNodeSubnetCidr: "10.225.0.0/28" } });
        expect(errors).toMatch(/kedascale:network\.virtualNodeSubnetCidr, kedascale:workloads\[1\]\.maxReplicaCount: virtual-node workloads can run \d+ container groups at maxReplicaCount, each with an address of the ACI subnet, but 10\.225\.0\.0\/28 has 11 usable/);
    });
});

describe("image pulls at scale (point 13)", () => {
    it("warns when the pools can reach more nodes than the registry SKU serves pulls a minute, and not for scale1000's Premium", () => {
        const { warnings } = problemsOf(scale1000, { registry: { sku: "Standard" } }, "scale1000");
        expect(warnings).toMatch(/kedascale:registry\.sku, kedascale:pools: the pools can reach 1001 nodes, each pulling the worker image .* a Standard registry serves about 3,000 ReadOps a minute.*set registry\.sku to "Premium"/);
        expect(problemsOf(scale1000, {}, "scale1000").warnings).not.toMatch(/ReadOps/);
        expect(problemsOf(dev, {}).warnings).not.toMatch(/ReadOps/);
    });
});

describe("local cluster settings", () => {
    it("refuses a registry port outside 1–65535", () => {
        const local = stackConfigOf("local");
        const { errors } = problemsOf(local, { cluster: { ...local.cluster, local: { ...local.cluster.local, registry: "localhost:70000" } } }, "local");
        expect(errors).toMatch(/kedascale:cluster\.local\.registry: .*TCP port from 1 to 65535/);
    });
});
