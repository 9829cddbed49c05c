/** Pure virtual-node decisions: rotation windows, ACI quantities, SAS connection strings the real SDKs accept, placement. */
import { QueueClient } from "@azure/storage-queue";
import { ContainerClient } from "@azure/storage-blob";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../components/config/load";
import { renderDeployment, type WorkloadInputs } from "../components/plan/workload";
import { aciResources, credentialWindow, sasConnectionString, virtualNodeNames, virtualNodePlacement } from "../components/plan/virtualNodes";
import { nameViolation } from "../components/plan/names";
import { validateKubernetesObject } from "./harness/kubeValidate";

const DAY = 86_400_000;

describe("credentialWindow", () => {
    it("always leaves between half and all of the validity, and is identical for every run inside one window", () => {
        const start = Date.UTC(2026, 7, 1);
        for (let t = start; t < start + 40 * DAY; t += 0.37 * DAY) {
            const w = credentialWindow(t, 30);
            const left = new Date(w.expiry).getTime() - t;
            expect(left).toBeGreaterThan(15 * DAY);
            expect(left).toBeLessThanOrEqual(30 * DAY);
            // Any later run before rotatesAt issues the same expiry (so the same SAS: no diff, no churn).
            expect(credentialWindow(new Date(w.rotatesAt).getTime() - 1, 30)).toEqual(w);
        }
    });

    it("rotates at the window boundary, and alternates the ACR password slot so the previous password stays valid", () => {
        const w = credentialWindow(Date.UTC(2026, 7, 1), 30);
        const next = credentialWindow(new Date(w.rotatesAt).getTime(), 30);
        expect(next.index).toBe(w.index + 1);
        expect(next.expiry).not.toBe(w.expiry);
        expect(next.passwordSlot).not.toBe(w.passwordSlot);
        // The previous window's password is still valid when the next one is issued.
        expect(new Date(w.expiry).getTime()).toBeGreaterThan(new Date(next.rotatesAt).getTime() - 15 * DAY);
        expect(w.expiry).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    });
});

describe("aciResources", () => {
    it("rounds up to ACI's 10 m / 0.1 GB steps, so the connector's rounding down gives back exactly the rendered value", () => {
        for (const [cpu, memory] of [["100m", "128Mi"], ["250m", "512Mi"], ["1", "1Gi"], ["1.5", "3Gi"], ["5m", "64Mi"]]) {
            const r = aciResources({ cpu, memory });
            const connectorCpu = Math.floor(r.cpuMillis / 10) / 100; // azure-aci getContainers
            const connectorGB = Math.floor(r.memoryBytes / 1e8) / 10;
            expect(connectorCpu * 1000).toBeCloseTo(r.cpuMillis);
            expect(connectorGB * 1e9).toBeCloseTo(r.memoryBytes);
            // Never less than asked.
            expect(r.memoryBytes).toBeGreaterThanOrEqual(Number(memory.slice(0, -2)) * (memory.endsWith("Gi") ? 2 ** 30 : 2 ** 20));
            expect(r.cpuMillis).toBeGreaterThanOrEqual(cpu.endsWith("m") ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000);
        }
        expect(aciResources({ cpu: "100m", memory: "128Mi" })).toMatchObject({ cpu: "100m", memory: "200M" });
    });
});

describe("SAS connection strings", () => {
    it("are accepted by the real Storage SDKs and address the one queue or container with the SAS", () => {
        const q = new QueueClient(sasConnectionString("queue", "https://acct.queue.core.windows.net/", "sv=2022-11-02&sp=rup&se=2026-09-01T00%3A00%3A00Z&sig=abc"), "aci-jobs");
        expect(q.url).toBe("https://acct.queue.core.windows.net/aci-jobs?sv=2022-11-02&sp=rup&se=2026-09-01T00%3A00%3A00Z&sig=abc");
        const c = new ContainerClient(sasConnectionString("blob", "https://acct.blob.core.windows.net", "?sv=2022-11-02&sr=c&sp=rcw&sig=def"), "results");
        expect(c.url).toBe("https://acct.blob.core.windows.net/results?sv=2022-11-02&sr=c&sp=rcw&sig=def");
    });
});

describe("virtual-node names", () => {
    it("are valid Azure names for a 10-character prefix and any stack", () => {
        expect(nameViolation({ kind: "serviceBusNamespace", name: virtualNodeNames.serviceBusNamespace("abcdefghij", "production", "abcdef") })).toBeUndefined();
        expect(nameViolation({ kind: "storageAccount", name: virtualNodeNames.queueAccount("abcdefghij", "abcdef") })).toBeUndefined();
        expect(nameViolation({ kind: "storageAccount", name: virtualNodeNames.resultsAccount("abcdefghij", "abcdef") })).toBeUndefined();
        expect(virtualNodeNames.resultsAccount("abcdefghij", "abcdef").endsWith("abcdef")).toBe(true);
    });
});

describe("spotThenVirtualNodes", () => {
    it("must be Spot or a virtual node, prefers Spot, and tolerates both", () => {
        const p = virtualNodePlacement("spotThenVirtualNodes") as any;
        const terms = p.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
        expect(terms).toHaveLength(2); // ORed by the scheduler
        expect(terms[0].matchExpressions).toEqual([{ key: "kubernetes.azure.com/scalesetpriority", operator: "In", values: ["spot"] }]);
        expect(terms[1].matchExpressions).toContainEqual({ key: "type", operator: "In", values: ["virtual-kubelet"] });
        expect(p.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution).toEqual([{ weight: 100, preference: terms[0] }]);
        expect(p.tolerations.map((t: any) => t.key)).toEqual(["kubernetes.azure.com/scalesetpriority", "virtual-kubelet.io/provider", "azure.com/aci"]);
        expect(p.nodeSelector).toBeUndefined();
    });

    it("renders a valid Deployment without probes or health port (ACI), with the Secret credential", () => {
        const w = parseConfig({
            network: { plugin: "azureNodeSubnet" },
            cluster: { virtualNodes: true },
            pools: [{ name: "spot", vmSize: "Standard_D4ds_v5", priority: "Spot", maxCount: 5 }],
            messaging: { virtualNodes: { acceptLocalAuth: true } },
            workloads: [{ name: "w", kind: "deployment", placement: "spotThenVirtualNodes", resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "128Mi" } } }],
        }).config.workloads[0];
        const inputs: WorkloadInputs = {
            broker: { kind: "serviceBus", entity: { queue: "w" }, resourceName: "ns", lockDurationMs: 60_000, maxDeliveryCount: 10 },
            results: { account: "res", container: "results" },
            image: "r.azurecr.io/kedascale-worker@sha256:" + "a".repeat(64),
            serviceAccountName: "w",
            loadServiceAccountName: "w-load",
            shutdown: { terminationGracePeriodSeconds: 30, workerGraceMs: 20_000, spot: true },
        };
        const d = renderDeployment(w, inputs);
        validateKubernetesObject(d);
        const c = d.spec.template.spec.containers[0];
        expect(c.livenessProbe).toBeUndefined();
        expect(c.ports).toBeUndefined();
        expect(c.args).toEqual(["work", "--inflight", "8"]);
        expect(c.env.filter((e: any) => e.valueFrom).map((e: any) => e.name)).toEqual(["KEDASCALE_CONNECTION_STRING", "KEDASCALE_RESULTS_CONNECTION_STRING"]);
    });
});
