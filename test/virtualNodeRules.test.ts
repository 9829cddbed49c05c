/** Preflight for the virtual-node placement: every field ACI cannot run, and the opt-in, named with key and fix. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../components/config/load";
import { ConfigError, type Problem } from "../components/config/rules/problem";

const spot = { name: "spot", vmSize: "Standard_D4ds_v5", priority: "Spot", maxCount: 5 };
const burst = { name: "burst", kind: "job", placement: "virtualNodes", resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "512Mi" } } };
const base = (over: { workload?: Record<string, unknown>; raw?: Record<string, unknown>; messaging?: Record<string, unknown> } = {}) => ({
    network: { plugin: "azureNodeSubnet" },
    cluster: { virtualNodes: true },
    pools: [spot],
    messaging: { virtualNodes: { acceptLocalAuth: true }, ...over.messaging },
    workloads: [{ ...burst, ...over.workload }],
    ...over.raw,
});

function problems(raw: Record<string, unknown>): { errors: Problem[]; warnings: Problem[] } {
    try {
        return { errors: [], warnings: [...parseConfig(raw).warnings] };
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        return { errors: [...e.problems], warnings: [] };
    }
}
const errorsAbout = (raw: Record<string, unknown>, keyPart: string) => problems(raw).errors.filter((p) => p.keys.some((k) => k.includes(keyPart)));

describe("a virtual-node workload", () => {
    it("is accepted as the dev stack writes it, with no warning", () => {
        expect(problems(base())).toEqual({ errors: [], warnings: [] });
    });

    it("is refused until local auth is accepted, and the message explains the trade-off", () => {
        const [p] = errorsAbout(base({ messaging: { virtualNodes: {} } }), "acceptLocalAuth");
        expect(p.keys).toEqual(["kedascale:workloads[0].placement", "kedascale:messaging.virtualNodes.acceptLocalAuth"]);
        expect(p.message).toMatch(/no managed or workload identity.*local \(SAS\) auth on.*scoped to that one queue.*Every other namespace and account stays Entra-only/s);
        expect(p.fix).toMatch(/acceptLocalAuth to true/);
        expect(errorsAbout(base({ messaging: { virtualNodes: undefined } }), "acceptLocalAuth")).toHaveLength(1);
    });

    it("needs the virtual-node add-on on a cluster kedascale creates", () => {
        expect(errorsAbout(base({ raw: { cluster: { virtualNodes: false }, network: {} } }), "cluster.virtualNodes")[0].message).toMatch(/cluster.virtualNodes is false/);
        const existing = base({ raw: { cluster: { existing: { resourceGroup: "rg", name: "aks" } }, network: undefined, pools: undefined } });
        expect(errorsAbout(existing, "cluster.existing").some((p) => p.keys.includes("kedascale:workloads[0].placement"))).toBe(true);
    });

    it("refuses a memory or CPU limit above the request (ACI: ContainerLimitGreaterThanContainerGroupTotalRequest)", () => {
        const raw = base({ workload: { resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } } } });
        const found = problems(raw).errors.map((p) => p.keys[0]);
        expect(found).toEqual(expect.arrayContaining(["kedascale:workloads[0].resources.limits.memory", "kedascale:workloads[0].resources.limits.cpu"]));
        expect(errorsAbout(raw, "limits.memory")[0].message).toMatch(/ContainerLimitGreaterThanContainerGroupTotalRequest/);
    });

    it("refuses a grace period ACI would not honour (the connector deletes the container group at once)", () => {
        const [p] = errorsAbout(base({ workload: { terminationGracePeriodSeconds: 20 } }), "terminationGracePeriodSeconds");
        expect(p.message).toMatch(/deletes an ACI container group at once/);
    });

    it("refuses spotAffinity (only placement spot sets Spot affinity) and a Spot-first placement without a Spot pool", () => {
        expect(errorsAbout(base({ workload: { spotAffinity: "preferred" } }), "spotAffinity")).toHaveLength(1);
        expect(errorsAbout(base({ workload: { placement: "spotThenVirtualNodes" }, raw: { pools: [] } }), "pools")[0].message).toMatch(/every pod would go to ACI/);
    });

    it("refuses requests larger than ACI's largest container group, and warns above 4 vCPU / 16 GB", () => {
        expect(errorsAbout(base({ workload: { resources: { requests: { cpu: "32", memory: "8Gi" }, limits: { memory: "8Gi" } } } }), "resources.requests")[0].message).toMatch(/31 vCPU, 240 GB/);
        const big = problems(base({ workload: { resources: { requests: { cpu: "8", memory: "8Gi" }, limits: { memory: "8Gi" } } } }));
        expect(big.errors).toEqual([]);
        expect(big.warnings.map((w) => w.message).join()).toMatch(/regional capacity/);
    });

    it("accepts a Storage queue broker: the worker parks with the poison queue's own SAS (KEDASCALE_POISON_CONNECTION_STRING)", () => {
        expect(errorsAbout(base({ messaging: { virtualNodes: { acceptLocalAuth: true, broker: "storageQueue" } } }), "virtualNodes.broker")).toEqual([]);
    });

    it("warns on a Deployment (scale-in kills mid-message) and on going past ACI's default quota", () => {
        const w = problems(base({ workload: { kind: "deployment", job: undefined, maxReplicaCount: 150 } })).warnings.map((p) => p.message);
        expect(w.some((m) => /loses in-flight messages to every scale-in/.test(m))).toBe(true);
        expect(w.some((m) => /150 container groups.*default regional quota of 100/.test(m))).toBe(true);
    });

    it("refuses messaging.virtualNodes when nothing runs on virtual nodes (it would turn local auth on for nothing)", () => {
        const raw = base({ workload: { placement: "spot" } });
        expect(errorsAbout(raw, "messaging.virtualNodes")[0].message).toMatch(/has no effect/);
    });
});
