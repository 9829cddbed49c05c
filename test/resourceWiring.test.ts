/**
 * Issue 9's resource-wiring decisions as pure functions: deterministic role-assignment names, SNAT capacity at
 * Σ maxCount, shutdown budgets Spot can honour, KEDA's operator limits and namespaces that cannot collide.
 * Each rule's message names the key, the value and the fix.
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../components/config/load";
import { kedaRules } from "../components/config/rules/keda";
import { outboundRules } from "../components/config/rules/outbound";
import type { Problem } from "../components/config/rules/problem";
import { shutdownRules } from "../components/config/rules/shutdown";
import { stackSchema } from "../components/config/stack";
import { kedaChartValues } from "../components/plan/kedaChart";
import { automaticPortsPerNode, maxClusterNodes, outboundPlan } from "../components/plan/outbound";
import { armGuid, roleAssignmentName, ROLES, uuidV5 } from "../components/azure/roles";

const spotPool = (maxCount: number) => ({ name: "spot", vmSize: "Standard_D4ds_v5", priority: "Spot", maxCount });
const resources = { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } };
const cfg = (raw: Record<string, unknown>) => stackSchema.parse(raw);
const text = (ps: Problem[]) => ps.map((p) => `${p.keys.join(", ")}: ${p.message}. Fix: ${p.fix}`).join("\n");

describe("deterministic role-assignment names", () => {
    it("implements RFC 4122 UUIDv5 (Python's documented uuid5(NAMESPACE_DNS, 'python.org'))", () => {
        expect(uuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org")).toBe("886313e1-3b8a-5372-9b90-0c9aee199e5d");
    });

    it("matches ARM/Bicep guid(): UUIDv5 under 11fb06fb-… over the parts joined by '-' (vector from Python's uuid5)", () => {
        const scope = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ServiceBus/namespaces/n/queues/jobs";
        const roleId = "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0";
        expect(armGuid(scope, "11111111-1111-1111-1111-111111111111", roleId)).toBe("0c97359c-14dc-53be-881c-37d61ac48584");
    });

    it("names an assignment from (scope, principal, role): the same on every run, different when any part differs, blind to ARM's id casing", () => {
        const scope = "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Storage/storageAccounts/a/queueServices/default/queues/jobs";
        const name = roleAssignmentName(scope, "AAAA", "storageQueueDataContributor");
        expect(name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(roleAssignmentName(scope, "AAAA", "storageQueueDataContributor")).toBe(name);
        expect(roleAssignmentName(scope.toLowerCase(), "aaaa", "storageQueueDataContributor")).toBe(name);
        expect(roleAssignmentName(scope + "-poison", "AAAA", "storageQueueDataContributor")).not.toBe(name);
        expect(roleAssignmentName(scope, "BBBB", "storageQueueDataContributor")).not.toBe(name);
        expect(roleAssignmentName(scope, "AAAA", "storageQueueDataMessageSender")).not.toBe(name);
        expect(name).toBe(armGuid(scope.toLowerCase(), "aaaa", ROLES.storageQueueDataContributor));
    });
});

describe("outbound SNAT capacity at Σ maxCount", () => {
    it("follows Azure's automatic allocation table", () => {
        expect([1, 50, 51, 100, 101, 200, 201, 400, 401, 800, 801, 1000].map(automaticPortsPerNode)).toEqual([1024, 1024, 512, 512, 256, 256, 128, 128, 64, 64, 32, 32]);
    });

    it("counts the system pool with every worker pool", () => {
        expect(maxClusterNodes(cfg({ pools: [spotPool(998)], cluster: { systemPool: { minCount: 2, maxCount: 2 } } }))).toBe(1000);
    });

    it("refuses the default (one IP, automatic ports) at 1,000 nodes: 32 ports per node, and says what holds", () => {
        // 997 Spot (no upgrade surge) + 2 system + 1 system surge node (10 % of 2, rounded up) = 1,000 nodes.
        const problems = outboundRules(cfg({ pools: [spotPool(997)] }));
        expect(problems).toHaveLength(1);
        expect(text(problems)).toMatch(/kedascale:cluster\.outbound\.allocatedOutboundPorts.*32 ports per node at 1000 nodes.*below the 64.*Fix: set cluster\.outbound\.allocatedOutboundPorts to 256 and outboundIPs to 4 or more/);
    });

    it("refuses explicit ports the IPs cannot hold for every node, naming the IPs needed", () => {
        const problems = outboundRules(cfg({ pools: [spotPool(997)], cluster: { outbound: { outboundIPs: 2, allocatedOutboundPorts: 256 } } }));
        expect(text(problems)).toMatch(/kedascale:cluster\.outbound\.outboundIPs.*2 outbound IP\(s\) × 64,000 ports hold 500 nodes at 256 ports each, but the pools reach 1000 nodes.*Fix: raise outboundIPs to 4/);
    });

    it("refuses fewer than 64 ports per node, and the managed NAT gateway that our own VNet rules out", () => {
        expect(text(outboundRules(cfg({ pools: [spotPool(5)], cluster: { outbound: { allocatedOutboundPorts: 32 } } })))).toMatch(/allocatedOutboundPorts: 32 SNAT ports per node is below the 64/);
        expect(text(outboundRules(cfg({ cluster: { outbound: { type: "managedNATGateway" } } })))).toMatch(/kedascale:cluster\.outbound\.type: "managedNATGateway" cannot be used.*incompatible with custom virtual networks.*Fix: use type "loadBalancer"/);
    });

    it("accepts a design that holds: 5 IPs × 64,000 ports at 256 per node serve 1,250 nodes", () => {
        const c = cfg({ pools: [spotPool(998)], cluster: { outbound: { outboundIPs: 5, allocatedOutboundPorts: 256 } } });
        expect(outboundRules(c)).toEqual([]);
        expect(outboundPlan(c.cluster.outbound, 1000)).toEqual({ nodes: 1000, portsPerNode: 256, nodeCapacity: 1250 });
    });

    it("is one of the preflight rules: parseConfig refuses the starved design before any resource exists", () => {
        expect(() => parseConfig({ pools: [spotPool(998)], cluster: { tier: "Standard" } })).toThrow(/kedascale:cluster\.outbound\.allocatedOutboundPorts/);
    });
});

describe("shutdown budgets Spot can honour", () => {
    const workload = (w: Record<string, unknown>) => ({ name: "w", kind: "deployment", resources, ...w });

    it("refuses a grace longer than Spot's ~30 s eviction notice for pods that may land on Spot", () => {
        const problems = shutdownRules(cfg({ pools: [spotPool(5)], workloads: [workload({ terminationGracePeriodSeconds: 60 })] }));
        expect(text(problems)).toMatch(/kedascale:workloads\[0\]\.terminationGracePeriodSeconds, kedascale:workloads\[0\]\.placement: terminationGracePeriodSeconds 60 cannot be honoured: placement "spot".*about 30 s.*worker's 50 s.*Fix: set terminationGracePeriodSeconds to 30 or less \(the worker then gets 20 s\)/);
        // "any" tolerates Spot: refused too when a Spot pool exists.
        expect(shutdownRules(cfg({ pools: [spotPool(5)], workloads: [workload({ placement: "any", terminationGracePeriodSeconds: 45 })] }))).toHaveLength(1);
    });

    it("accepts long graces off Spot, and 30 s or less on Spot", () => {
        expect(shutdownRules(cfg({ pools: [spotPool(5)], workloads: [workload({ placement: "system", terminationGracePeriodSeconds: 300 })] }))).toEqual([]);
        expect(shutdownRules(cfg({ pools: [{ ...spotPool(5), priority: "Regular" }], workloads: [workload({ placement: "any", terminationGracePeriodSeconds: 300 })] }))).toEqual([]);
        expect(shutdownRules(cfg({ pools: [spotPool(5)], workloads: [workload({ terminationGracePeriodSeconds: 30 })] }))).toEqual([]);
    });
});

describe("KEDA operator and namespaces", () => {
    const keda = (operatorResources: Record<string, string>) => cfg({ keda: { operatorResources } }).keda;

    it("never renders operator requests above limits: the chart's 1-CPU limit is raised to a larger request", () => {
        // kedacore/charts 2.20.2 values.yaml: resources.operator.limits.cpu 1, merged by Helm under our values.
        expect(kedaChartValues(keda({ cpu: "2" }), { clientId: "c", tenantId: "t" }).resources).toMatchObject({ operator: { requests: { cpu: "2" }, limits: { cpu: "2" } } });
        expect(kedaChartValues(keda({ cpu: "1500m" }), { clientId: "c", tenantId: "t" }).resources).toMatchObject({ operator: { limits: { cpu: "1500m", memory: "1Gi" } } });
        expect(kedaChartValues(keda({ cpu: "500m" }), { clientId: "c", tenantId: "t" }).resources).toMatchObject({ operator: { requests: { cpu: "500m" }, limits: { cpu: "1" } } });
    });

    it("refuses an operator memory request above its limit", () => {
        expect(text(kedaRules(cfg({ keda: { operatorResources: { memory: "2Gi", memoryLimit: "1Gi" } } })))).toMatch(/kedascale:keda\.operatorResources\.memory, kedascale:keda\.operatorResources\.memoryLimit: memory request 2Gi is above memoryLimit 1Gi.*Fix: raise memoryLimit to at least 2Gi/);
    });

    it.each(["keda", "default", "kube-system", "kube-public", "kube-node-lease", "kube-anything", "gatekeeper-system"])("refuses workload namespace %s, which already exists or is reserved", (ns) => {
        const problems = kedaRules(cfg({ pools: [spotPool(5)], workloads: [{ name: "w", kind: "deployment", resources, namespace: ns }] }));
        expect(text(problems)).toMatch(new RegExp(`kedascale:workloads\\[0\\]\\.namespace.*namespace "${ns}".*Fix: use a namespace of its own`));
    });

    it("follows KEDA's own namespace when it is moved", () => {
        const c = cfg({ keda: { namespace: "autoscaling" }, workloads: [{ name: "w", kind: "deployment", resources, namespace: "autoscaling" }] });
        expect(text(kedaRules(c))).toMatch(/kedascale:workloads\[0\]\.namespace, kedascale:keda\.namespace: namespace "autoscaling" is KEDA's/);
        expect(kedaRules(cfg({ workloads: [{ name: "w", kind: "deployment", resources, namespace: "keda" }], keda: { namespace: "autoscaling" } }))).toEqual([]);
    });

    it("refuses a workload name too long for its load runs' Job names (<name>-load-<unix time> ≤ 63)", () => {
        const name = "a".repeat(48);
        expect(text(kedaRules(cfg({ workloads: [{ name, kind: "deployment", resources, loadTest: { messages: 10 } }] })))).toMatch(/kedascale:workloads\[0\]\.name, kedascale:workloads\[0\]\.loadTest: "a{48}" is 48 characters.*Fix: shorten the name to 47 characters or fewer/);
        expect(kedaRules(cfg({ workloads: [{ name: "a".repeat(47), kind: "deployment", resources, loadTest: { messages: 10 } }] }))).toEqual([]);
    });
});
