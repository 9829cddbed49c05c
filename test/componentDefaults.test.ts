/**
 * Components apply their own defaults (a team using them without kedascale's config gets the same platform); the
 * config schema has defaults too. These must agree, or a stack and a direct use of a component would differ.
 */
import { describe, expect, it } from "vitest";
import { resolveClusterNetwork, resolveOutbound, resolvePool, resolveSystemPool } from "../components/azure/aksCluster";
import { outboundSchema, networkSchema, poolSchema, systemPoolSchema } from "../components/config/schema";
import { kedaSchema, workloadSchema } from "../components/config/workloads";
import { resolveKedaSettings } from "../components/k8s/kedaInstall";
import { resolveWorkload } from "../components/k8s/workloadArgs";

const resources = { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } };

describe("component defaults equal the config schema's", () => {
    it("node pool", () => {
        const required = { name: "spot", vmSize: "Standard_D2ds_v5", maxCount: 5 };
        expect(resolvePool(required)).toEqual(poolSchema.parse(required));
    });

    it("system pool", () => {
        expect(resolveSystemPool({})).toEqual(systemPoolSchema.parse({}));
        expect(resolveSystemPool({ vmSize: "Standard_D8ds_v5", minCount: 1 })).toEqual(systemPoolSchema.parse({ vmSize: "Standard_D8ds_v5", minCount: 1 }));
    });

    it("cluster network and egress", () => {
        const { plugin, dataplane, podCidr, serviceCidr, dnsServiceIP } = networkSchema.parse({});
        expect(resolveClusterNetwork({})).toEqual({ plugin, dataplane, podCidr, serviceCidr, dnsServiceIP });
        const { type: _type, ...outbound } = outboundSchema.parse({});
        expect(resolveOutbound({})).toEqual(outbound);
    });

    it("KEDA", () => {
        expect(resolveKedaSettings({})).toEqual(kedaSchema.parse({}));
        expect(resolveKedaSettings({ operatorResources: { cpu: "2" } })).toEqual(kedaSchema.parse({ operatorResources: { cpu: "2" } }));
    });

    it.each([
        ["a deployment", { name: "w", kind: "deployment", resources }],
        ["a job", { name: "w", kind: "job", resources, job: { mode: "drain" } }],
        ["one with scale-down and a load template", { name: "w", kind: "deployment", resources, scaleDown: { percentPerMinute: 20 }, loadTest: { messages: 10 } }],
    ] as const)("workload: %s", (_why, w) => {
        // platform and containerApps choose Container Apps instead of ScaledWorkload: not ScaledWorkload's to default.
        const { platform: _platform, containerApps: _aca, ...schema } = workloadSchema.parse(w) as Record<string, unknown>;
        expect(resolveWorkload(w)).toEqual(schema);
    });
});
