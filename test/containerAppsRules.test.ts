/**
 * Preflight of the Container Apps target, through the real config path (Pulumi.yaml defaults + Pulumi.aca.yaml +
 * overrides → parseConfig): every refusal names the key, the value and the fix, all at once, before any resource.
 */
import { describe, expect, it } from "vitest";
import { decodeRawConfig, parseConfig } from "../components/config/load";
import { ConfigError, type Problem } from "../components/config/rules/problem";
import { stackConfig } from "./harness/stackConfig";

const ACA_WORKER = { name: "worker", platform: "containerApps", kind: "job", resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "1Gi" } }, maxReplicaCount: 50 };

function problems(stack: string, overrides: Record<string, unknown>): Problem[] {
    const { raw, problems: decode } = decodeRawConfig(stackConfig(stack, overrides));
    try {
        const { warnings } = parseConfig(raw, decode, { stack });
        return [...warnings];
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        return [...e.problems];
    }
}
const errors = (stack: string, overrides: Record<string, unknown>) => problems(stack, overrides).filter((p) => p.severity === "error");
const text = (ps: Problem[]) => ps.map((p) => `${p.keys.join(", ")}: ${p.message}. Fix: ${p.fix}`);

describe("AKS-only fields on an ACA workload, and ACA-only fields on an AKS workload, are refused", () => {
    it("names every AKS setting an ACA workload sets (namespace, placement, spotAffinity, loadTest, job.rollout, terminationGracePeriodSeconds), all at once", () => {
        const found = text(
            errors("aca", {
                "kedascale:workloads": [{ ...ACA_WORKER, namespace: "jobs", placement: "any", spotAffinity: "preferred", loadTest: { messages: 10 }, job: { rollout: "gradual" }, terminationGracePeriodSeconds: 20 }],
            }),
        );
        for (const field of ["namespace", "placement", "spotAffinity", "loadTest", "job.rollout", "terminationGracePeriodSeconds"]) {
            expect(found.some((t) => t.startsWith(`kedascale:workloads[0].${field}, kedascale:workloads[0].platform: ${field} configures`) && t.includes('has platform "containerApps", where it has no effect') && t.includes(`Fix: remove ${field}`)), field).toBe(true);
        }
    });

    it("refuses a containerApps block on an AKS workload", () => {
        const found = text(errors("dev", { "kedascale:workloads": [{ name: "worker", kind: "deployment", maxReplicaCount: 10, resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } }, containerApps: { parallelism: 2 } }] }));
        expect(found).toContainEqual(expect.stringMatching(/^kedascale:workloads\[0\]\.containerApps, kedascale:workloads\[0\]\.platform: containerApps settings have no effect .* its platform is "aks".* Fix: remove containerApps, or set platform to "containerApps"$/));
    });

    it("refuses kind deployment on ACA (event-triggered jobs only) and limits that differ from requests (ACA gives exactly the allocation)", () => {
        const found = text(errors("aca", { "kedascale:workloads": [{ ...ACA_WORKER, kind: "deployment", resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "2Gi" } } }] }));
        expect(found).toContainEqual(expect.stringMatching(/^kedascale:workloads\[0\]\.kind, kedascale:workloads\[0\]\.platform: kind "deployment" on platform "containerApps".*Fix: set kind to "job"/));
        expect(found).toContainEqual(expect.stringMatching(/^kedascale:workloads\[0\]\.resources\.limits: limits .* differ from requests.*Fix: set resources\.limits\.memory to "1Gi"/));
    });
});

describe("ACA's Consumption allocations", () => {
    it("refuses 0.5 vCPU with 512Mi and names the smallest allowed pair that holds it (0.5 / 1Gi)", () => {
        const found = text(errors("aca", { "kedascale:workloads": [{ ...ACA_WORKER, resources: { requests: { cpu: "500m", memory: "512Mi" }, limits: { memory: "512Mi" } } }] }));
        expect(found).toContainEqual(expect.stringMatching(/^kedascale:workloads\[0\]\.resources\.requests: cpu "500m" with memory "512Mi" \(0\.5 vCPU \/ 0\.5 GiB\) is not a Container Apps Consumption allocation.*Fix: request cpu "0\.5" and memory "1Gi"/));
    });

    it("refuses more than 4 vCPU / 8 GiB per replica, and accepts 4 / 8Gi", () => {
        const big = { ...ACA_WORKER, maxReplicaCount: 10 };
        expect(text(errors("aca", { "kedascale:workloads": [{ ...big, resources: { requests: { cpu: "5", memory: "10Gi" }, limits: { memory: "10Gi" } } }] }))).toContainEqual(expect.stringMatching(/Fix: a Consumption replica holds at most 4 vCPU \/ 8 GiB/));
        expect(errors("aca", { "kedascale:workloads": [{ ...big, resources: { requests: { cpu: "4", memory: "8Gi" }, limits: { memory: "8Gi" } } }] })).toEqual([]);
    });
});

describe("the environment's core quota (default 100, Consumption workload profile)", () => {
    it("refuses max executions × parallelism × cpu above Azure's default of 100 and says how far to lower maxReplicaCount", () => {
        // Pulumi.aca.yaml writes coreQuota: 100 explicitly; without it the message cites Azure's default.
        const found = text(errors("aca", { "kedascale:workloads": [{ ...ACA_WORKER, maxReplicaCount: 300 }], "kedascale:containerApps": {} }));
        expect(found).toContainEqual(
            expect.stringMatching(/^kedascale:workloads\[0\]\.maxReplicaCount, kedascale:containerApps\.coreQuota: .* need 150 cores at once \(worker: 300 × 1 × 0\.5 = 150\), more than the environment's core quota of 100 \(Azure's default .*\).*Fix: lower maxReplicaCount to 200 or less, or request a quota increase/),
        );
    });

    it("accepts the same job once a granted quota is set in containerApps.coreQuota", () => {
        expect(errors("aca", { "kedascale:workloads": [{ ...ACA_WORKER, maxReplicaCount: 300 }], "kedascale:containerApps": { coreQuota: 200 } })).toEqual([]);
    });

    it("sums every ACA workload of the stack against the one environment", () => {
        const two = [
            { ...ACA_WORKER, maxReplicaCount: 120 },
            { ...ACA_WORKER, name: "other", maxReplicaCount: 100 },
        ];
        expect(text(errors("aca", { "kedascale:workloads": two }))).toContainEqual(expect.stringMatching(/need 110 cores at once \(worker: 120 × 1 × 0\.5 = 60; other: 100 × 1 × 0\.5 = 50\)/));
    });
});

describe("settings a stack without a cluster would ignore", () => {
    it("refuses cluster, pools, KEDA and AKS network keys in a stack whose every workload runs on ACA", () => {
        const found = text(
            errors("aca", {
                "kedascale:cluster": { tier: "Standard" },
                "kedascale:pools": [{ name: "spot", vmSize: "Standard_D2ds_v5", priority: "Spot", maxCount: 3 }],
                "kedascale:keda": { kubeApiQps: 50, kubeApiBurst: 75 },
                "kedascale:network": { plugin: "azureOverlay" },
            }),
        );
        for (const key of ["kedascale:cluster", "kedascale:pools", "kedascale:keda", "kedascale:network.plugin"]) {
            expect(found.some((t) => t.startsWith(`${key}, kedascale:workloads: `) && t.includes("so the stack creates no AKS cluster")), key).toBe(true);
        }
    });

    it("refuses the containerApps section when no workload runs on ACA", () => {
        expect(text(errors("dev", { "kedascale:containerApps": { coreQuota: 200 } }))).toContainEqual(expect.stringMatching(/^kedascale:containerApps, kedascale:workloads: the Container Apps environment settings have no effect/));
    });
});

describe("VNet integration subnet", () => {
    it("refuses a subnet smaller than /27, outside the VNet, or overlapping the AKS node subnet", () => {
        expect(text(errors("aca", { "kedascale:containerApps": { infrastructureSubnetCidr: "10.226.0.0/28" } }))).toContainEqual(expect.stringMatching(/is a \/28; a workload-profiles Container Apps environment needs at least a \/27/));
        expect(text(errors("aca", { "kedascale:containerApps": { infrastructureSubnetCidr: "192.168.0.0/27" } }))).toContainEqual(expect.stringMatching(/"192\.168\.0\.0\/27" is not inside the VNet 10\.224\.0\.0\/12/));
        const mixed = { "kedascale:workloads": [...(stackWorkloads("dev") as object[]), ACA_WORKER], "kedascale:containerApps": { infrastructureSubnetCidr: "10.224.0.0/27" } };
        expect(text(errors("dev", mixed))).toContainEqual(expect.stringMatching(/"10\.224\.0\.0\/27" overlaps network\.nodeSubnetCidr "10\.224\.0\.0\/16"/));
    });
});

describe("names", () => {
    it("refuses a job name Azure would refuse (over 32 characters)", () => {
        const name = "a-very-long-workload-name-for-aca-x";
        expect(text(errors("aca", { "kedascale:workloads": [{ ...ACA_WORKER, name }] }))).toContainEqual(expect.stringMatching(new RegExp(`Container Apps job of workload ${name}'s name "${name}" is ${name.length} characters, outside 2–32`)));
    });
});

function stackWorkloads(stack: string): unknown {
    return JSON.parse(stackConfig(stack)["kedascale:workloads"]);
}
