/** Pure config → decision functions, without Pulumi. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../components/config/load";
import { autoscalerProfile } from "../components/plan/autoscaler";
import { capacitySummary, vmSizeInfo } from "../components/plan/capacity";
import { networkProfileSpec, poolSpec } from "../components/plan/clusterSpec";
import { uniqueSuffix, compactName } from "../components/plan/naming";

const base = (raw: Record<string, unknown> = {}) => parseConfig(raw).config;

describe("vmSizeInfo", () => {
    it.each([
        ["Standard_D4ds_v5", 4, "standardDDSv5Family"],
        ["Standard_D4ds_v4", 4, "standardDDSv4Family"],
        ["Standard_D2s_v3", 2, "standardDSv3Family"],
        ["Standard_E16-4ds_v5", 16, "standardEDSv5Family"],
        ["Standard_B2s", 2, "standardBSFamily"],
    ])("%s → %i vCPUs in %s", (size, vcpus, family) => expect(vmSizeInfo(size)).toEqual({ vcpus, family }));
    it("returns undefined for a size it cannot read", () => expect(vmSizeInfo("Standard_weird")).toBeUndefined());
});

describe("capacitySummary", () => {
    it("counts Spot against the regional Spot quota and Regular against family and regional quotas, with each Regular pool's upgrade surge (10 % rounded up; Spot pools have none)", () => {
        const cfg = base({
            cluster: { tier: "Standard", systemPool: { vmSize: "Standard_D4ds_v5", minCount: 2, maxCount: 3 } },
            pools: [
                { name: "spot", vmSize: "Standard_D8ds_v5", priority: "Spot", maxCount: 10 },
                { name: "ondemand", vmSize: "Standard_D4ds_v5", maxCount: 4 },
            ],
        });
        const s = capacitySummary(cfg);
        expect(s.maxNodes).toBe(17);
        expect(s.quotaToRequest).toEqual({ standardDDSv5Family: (4 + 5) * 4, cores: (4 + 5) * 4, lowPriorityCores: 10 * 8 });
    });
});

describe("autoscalerProfile", () => {
    it("lets overrides win over the preset and keeps every value a string", () => {
        const cfg = base({ cluster: { autoscalerPreset: "burst", autoscaler: { scanInterval: "15s", maxEmptyBulkDelete: 50, balanceSimilarNodeGroups: false } }, pools: [{ name: "spot", vmSize: "Standard_D4ds_v5", priority: "Spot", maxCount: 3 }] });
        const p = autoscalerProfile(cfg.cluster);
        expect(p).toMatchObject({ scanInterval: "15s", maxEmptyBulkDelete: "50", balanceSimilarNodeGroups: "false", okTotalUnreadyCount: "1000" });
        expect(Object.values(p).every((v) => typeof v === "string")).toBe(true);
    });
});

describe("poolSpec", () => {
    it("gives a fixed-size pool no autoscaler and a Spot pool AKS's Spot settings", () => {
        const cfg = base({ pools: [{ name: "spot", vmSize: "Standard_D4ds_v5", priority: "Spot", minCount: 3, maxCount: 3 }] });
        const spec = poolSpec(cfg, cfg.pools[0], false);
        expect(spec).toMatchObject({ count: 3, enableAutoScaling: false, scaleSetPriority: "Spot", scaleSetEvictionPolicy: "Delete", spotMaxPrice: -1, maxPods: 250 });
        expect(spec.minCount).toBeUndefined();
    });
    it("defaults maxPods by network plugin", () => {
        const cfg = base({ network: { plugin: "azureNodeSubnet" }, pools: [{ name: "a", vmSize: "Standard_D4ds_v5", maxCount: 2 }] });
        expect(poolSpec(cfg, cfg.pools[0], false).maxPods).toBe(30);
    });
    it("taints the system pool for critical add-ons only when asked", () => {
        const on = base();
        const off = base({ cluster: { systemPool: { onlyCriticalAddons: false } } });
        expect(poolSpec(on, on.cluster.systemPool, true).nodeTaints).toEqual(["CriticalAddonsOnly=true:NoSchedule"]);
        expect(poolSpec(off, off.cluster.systemPool, true).nodeTaints).toEqual([]);
    });
});

describe("networkProfileSpec", () => {
    it("maps each plugin to the AKS API's plugin and mode", () => {
        expect(networkProfileSpec(base({ network: { plugin: "azureOverlay", dataplane: "cilium" } }).network)).toMatchObject({ networkPlugin: "azure", networkPluginMode: "overlay", networkDataplane: "cilium", podCidr: "10.244.0.0/16" });
        const nodeSubnet = networkProfileSpec(base({ network: { plugin: "azureNodeSubnet" } }).network);
        expect(nodeSubnet.networkPluginMode).toBeUndefined();
        expect(nodeSubnet.podCidr).toBeUndefined();
        expect(networkProfileSpec(base({ network: { plugin: "kubenet" } }).network).networkPlugin).toBe("kubenet");
    });
});

describe("naming", () => {
    it("is stable per subscription and stack, and distinct across stacks", () => {
        expect(uniqueSuffix("sub", "kedascale", "dev")).toBe(uniqueSuffix("sub", "kedascale", "dev"));
        expect(uniqueSuffix("sub", "kedascale", "dev")).not.toBe(uniqueSuffix("sub", "kedascale", "prod"));
        expect(compactName(["kedascale", "acr", "AB-12"], 12)).toBe("kedascaleacr");
    });
});

describe("parseConfig", () => {
    it("returns a frozen config", () => {
        const cfg = base();
        expect(Object.isFrozen(cfg)).toBe(true);
        expect(Object.isFrozen(cfg.cluster.systemPool)).toBe(true);
    });
});
