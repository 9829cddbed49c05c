/**
 * Every stack file passes the policy pack: the real index.ts runs under mocks with each Pulumi.<stack>.yaml, and
 * every kedascale policy runs over the recorded resources (inputs = what `pulumi preview` hands CrossGuard as props).
 * A mutated copy of a real resource must fail, so a pass cannot come from the adapter dropping props.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { resourcePolicies, stackPolicies } from "../policy/policies";
import type { StackResource } from "../policy/policies/clusterTier";
import { runProgram, type RecordedResource } from "./harness/runProgram";
import { clusterKind, stackNames } from "./harness/stackConfig";

/** RecordedResource → the fields CrossGuard's ResourceValidationArgs / PolicyResource carry. */
function asPolicyResource(stack: string, r: RecordedResource): StackResource {
    return { type: r.type, name: r.name, urn: `urn:pulumi:${stack}::kedascale::${r.type}::${r.name}`, props: r.inputs };
}

function violations(resources: StackResource[]): string[] {
    const out: string[] = [];
    for (const r of resources) for (const p of resourcePolicies) for (const m of p.check(r.type, r.props, r.name)) out.push(`${p.name}: ${m}`);
    for (const p of stackPolicies) for (const v of p.check(resources)) out.push(`${p.name}: ${v.message}`);
    return out;
}

const runs = new Map<string, StackResource[]>();

beforeAll(async () => {
    for (const stack of stackNames()) {
        const run = await runProgram(stack);
        runs.set(stack, run.resources.map((r) => asPolicyResource(stack, r)));
    }
});

describe.each(stackNames())("stack %s under the policy pack", (stack) => {
    it("passes every policy", () => {
        expect(violations(runs.get(stack)!)).toEqual([]);
    });

    it("gives the policies something to check: a cluster, its pools, a registry, a broker, Kubernetes objects", () => {
        const types = runs.get(stack)!.map((r) => r.type);
        if (clusterKind(stack) === "local") {
            // A laptop cluster with Azurite: no Azure resource at all; the policies see the Kubernetes objects.
            expect(types.filter((t) => t.startsWith("azure-native:"))).toEqual([]);
            expect(types).toContain("kubernetes:core/v1:Secret");
            expect(types.filter((t) => t.startsWith("kubernetes:")).length).toBeGreaterThan(3);
            return;
        }
        expect(types).toContain("azure-native:containerregistry:Registry");
        expect(types.some((t) => t === "azure-native:servicebus:Namespace" || t === "azure-native:storage:StorageAccount")).toBe(true);
        const kind = clusterKind(stack);
        if (kind === "none") {
            // A Container Apps-only stack (Pulumi.aca.yaml): no cluster and no Kubernetes object at all.
            expect(types).toContain("azure-native:app:Job");
            expect(types.filter((t) => t.startsWith("kubernetes:"))).toEqual([]);
            return;
        }
        // An existing cluster is read, not created: the policies see the Kubernetes objects deployed into it.
        if (kind === "existing") expect(types).not.toContain("azure-native:containerservice:ManagedCluster");
        else expect(types).toContain("azure-native:containerservice:ManagedCluster");
        expect(types.filter((t) => t.startsWith("kubernetes:")).length).toBeGreaterThan(3);
    });

    it("fails when a real resource of the stack is changed against a promise (the adapter keeps props)", () => {
        const resources = runs.get(stack)!;
        const mutate = (type: string, change: (props: Record<string, any>) => Record<string, any>) =>
            resources.map((r) => (r.type === type ? { ...r, props: change(structuredClone(r.props)) } : r));
        if (clusterKind(stack) === "local") {
            // The Azurite connection string is allowed only in its labelled Secret: without the label, it is refused.
            const unlabelled = mutate("kubernetes:core/v1:Secret", (p) => ({ ...p, metadata: { ...p.metadata, labels: {} } }));
            expect(violations(unlabelled).length).toBeGreaterThan(0);
            expect(violations(unlabelled).every((v) => /^kedascale-k8s-no-connection-strings: /.test(v))).toBe(true);
            return;
        }
        expect(violations(mutate("azure-native:containerregistry:Registry", (p) => ({ ...p, adminUserEnabled: true })))).toEqual([
            expect.stringMatching(/^kedascale-acr-no-admin-user: /),
        ]);
        // The cluster mutations below need a cluster; a Container Apps-only stack has none.
        if (!resources.some((r) => r.type === "azure-native:containerservice:ManagedCluster")) return;
        expect(violations(mutate("azure-native:containerservice:ManagedCluster", (p) => ({ ...p, securityProfile: {} })))).toEqual([
            expect.stringMatching(/^kedascale-aks-workload-identity: .*workload identity off/),
        ]);
        const pools = resources.filter((r) => r.type === "azure-native:containerservice:AgentPool");
        expect(pools.length).toBeGreaterThan(0);
        // Free tier with the stack's pools pushed past 10 nodes.
        const freeAndBig = resources.map((r) =>
            r.type === "azure-native:containerservice:ManagedCluster"
                ? { ...r, props: { ...r.props, sku: { name: "Base", tier: "Free" } } }
                : r.type === "azure-native:containerservice:AgentPool"
                  ? { ...r, props: { ...r.props, enableAutoScaling: true, maxCount: 11 } }
                  : r,
        );
        expect(violations(freeAndBig)).toEqual([expect.stringMatching(/^kedascale-aks-standard-tier-at-scale: /)]);
    });
});
