/**
 * Bring your own cluster: the program reads the cluster named by cluster.existing and refuses, as it reads it, a
 * cluster whose OIDC issuer or workload identity is off, that runs the AKS KEDA add-on, or that lacks what the
 * workloads need; preflight refuses every setting that would only shape a cluster kedascale creates.
 */
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../components/config/load";
import { ConfigError } from "../components/config/rules/problem";
import { clearCallOverrides, setCallOverride } from "./harness/mockState";
import { settleProgram } from "./harness/runProgram";
import { readStackFile } from "./harness/stackConfig";
import { collectUnhandledRejections } from "./harness/collectRejections";

const GET_CLUSTER = "azure-native:containerservice:getManagedCluster";

afterEach(() => clearCallOverrides());

const rejections = collectUnhandledRejections();

const LIST_CREDENTIALS = "azure-native:containerservice:listManagedClusterUserCredentials";

/**
 * Runs the existing stack expecting the read-time checks to fail it. Returns the program's error (what `pulumi
 * preview` prints) and whether the cluster's kubeconfig was ever read: it must not be, so no Kubernetes object can
 * reach a cluster that failed its checks.
 */
async function runExpectingFailure(overrides: Record<string, unknown> = {}): Promise<{ message: string; kubeconfigRead: boolean }> {
    rejections.length = 0;
    let kubeconfigRead = false;
    setCallOverride(LIST_CREDENTIALS, (_inputs, result) => {
        kubeconfigRead = true;
        return result;
    });
    const error: unknown = await settleProgram("existing", overrides).then(
        (run) => run.error,
        (e: unknown) => e,
    );
    // Let the failure finish reaching every resource that waited on the cluster (quiet for 3 rounds of 25 ms, as the
    // harness settles registrations), so none leaks into the next test.
    for (let quiet = 0, last = -1; quiet < 3; ) {
        await new Promise((r) => setTimeout(r, 25));
        quiet = rejections.length === last ? quiet + 1 : 0;
        last = rejections.length;
    }
    return { message: error instanceof Error ? error.message : String(error), kubeconfigRead };
}

describe("read-time checks of the existing cluster", () => {
    it("refuses a cluster with the OIDC issuer off, with the exact az aks update that turns it on, and never reads its kubeconfig", async () => {
        setCallOverride(GET_CLUSTER, (_i, c) => ({ ...c, oidcIssuerProfile: { enabled: false } }));
        const { message, kubeconfigRead } = await runExpectingFailure();
        expect(message).toMatch(/kedascale cannot deploy into the existing cluster \(1 problem\)/);
        expect(message).toMatch(/the existing AKS cluster platform-rg\/platform-aks has the OIDC issuer off/);
        expect(message).toMatch(/Fix: az aks update --resource-group platform-rg --name platform-aks --enable-oidc-issuer$/m);
        expect(kubeconfigRead).toBe(false);
    });

    it("refuses a cluster with workload identity off", async () => {
        setCallOverride(GET_CLUSTER, (_i, c) => ({ ...c, securityProfile: { workloadIdentity: { enabled: false } } }));
        const { message, kubeconfigRead } = await runExpectingFailure();
        expect(message).toMatch(/has workload identity off.*Fix: az aks update --resource-group platform-rg --name platform-aks --enable-workload-identity$/m);
        expect(kubeconfigRead).toBe(false);
    });

    it("asks for both flags when both are off, and names the cluster's subscription when config gives one", async () => {
        setCallOverride(GET_CLUSTER, (_i, c) => ({ ...c, oidcIssuerProfile: undefined, securityProfile: undefined }));
        const sub = "11111111-2222-3333-4444-555555555555";
        const { message } = await runExpectingFailure({ "kedascale:cluster": { existing: { resourceGroup: "platform-rg", name: "platform-aks", subscriptionId: sub } } });
        expect(message).toMatch(new RegExp(`has the OIDC issuer and workload identity off.*Fix: az aks update --resource-group platform-rg --name platform-aks --subscription ${sub} --enable-oidc-issuer --enable-workload-identity$`, "m"));
    });

    it("refuses to install KEDA by Helm where the AKS managed KEDA add-on is on (one KEDA per cluster)", async () => {
        setCallOverride(GET_CLUSTER, (_i, c) => ({ ...c, workloadAutoScalerProfile: { keda: { enabled: true } } }));
        const { message, kubeconfigRead } = await runExpectingFailure();
        expect(message).toMatch(/runs the AKS managed KEDA add-on \(workloadAutoScalerProfile\.keda\.enabled\), and only one KEDA may run in a cluster, so kedascale will not install its own KEDA by Helm\. Fix: az aks update --resource-group platform-rg --name platform-aks --disable-keda/);
        expect(kubeconfigRead).toBe(false);
    });

    it("refuses a cluster without a Spot pool when a workload requires Spot", async () => {
        setCallOverride(GET_CLUSTER, (_i, c) => ({ ...c, agentPoolProfiles: [{ name: "system", mode: "System" }, { name: "apps", mode: "User" }] }));
        const { message } = await runExpectingFailure();
        expect(message).toMatch(/has no Spot node pool \(pools: system, apps\), but a workload requires Spot nodes.*az aks nodepool add --resource-group platform-rg --cluster-name platform-aks --name spot --priority Spot --eviction-policy Delete/);
    });

    it("reports every problem of the cluster at once", async () => {
        setCallOverride(GET_CLUSTER, (_i, c) => ({ ...c, oidcIssuerProfile: { enabled: false }, workloadAutoScalerProfile: { keda: { enabled: true } } }));
        const { message } = await runExpectingFailure();
        expect(message).toMatch(/\(2 problems\)/);
        expect(message).toMatch(/--enable-oidc-issuer/);
        expect(message).toMatch(/--disable-keda/);
    });

    it("reads the kubeconfig of a cluster that passes (the control for the tests above)", async () => {
        let kubeconfigRead = false;
        setCallOverride(LIST_CREDENTIALS, (_i, r) => ((kubeconfigRead = true), r));
        const run = await settleProgram("existing");
        expect(run.error).toBeUndefined();
        expect(kubeconfigRead).toBe(true);
        expect(run.resources.some((r) => r.type === "kubernetes:helm.sh/v3:Release")).toBe(true);
    });
});

describe("settings that would shape a cluster kedascale does not create", () => {
    const existing = Object.fromEntries(Object.entries(readStackFile("existing")).map(([k, v]) => [k.replace(/^kedascale:/, ""), v])) as Record<string, any>;
    const errorsOf = (over: Record<string, unknown>) => {
        try {
            parseConfig({ ...existing, ...over }, [], { stack: "existing" });
        } catch (e) {
            if (e instanceof ConfigError) return e.message;
            throw e;
        }
        return "";
    };

    it.each([
        ["a tier", { cluster: { ...existing.cluster, tier: "Standard" } }, /kedascale:cluster\.tier, kedascale:cluster\.existing: cluster\.tier has no effect: kedascale deploys into the existing cluster platform-rg\/platform-aks.*Fix: remove cluster\.tier/],
        ["a system pool", { cluster: { ...existing.cluster, systemPool: { vmSize: "Standard_D8ds_v5" } } }, /kedascale:cluster\.systemPool, kedascale:cluster\.existing: cluster\.systemPool has no effect/],
        ["a Kubernetes version", { cluster: { ...existing.cluster, kubernetesVersion: "1.34" } }, /cluster\.kubernetesVersion has no effect/],
        ["virtual nodes", { cluster: { ...existing.cluster, virtualNodes: true } }, /cluster\.virtualNodes has no effect/],
        ["egress sizing", { cluster: { ...existing.cluster, outbound: { outboundIPs: 2 } } }, /cluster\.outbound has no effect/],
        ["autoscaler overrides", { cluster: { ...existing.cluster, autoscaler: { scanInterval: "20s" } } }, /cluster\.autoscaler has no effect/],
        ["network settings", { network: { plugin: "azureOverlay" } }, /kedascale:network, kedascale:cluster\.existing: network settings have no effect.*Fix: remove kedascale:network/],
        ["node pools", { pools: [{ name: "spot", vmSize: "Standard_D2ds_v5", priority: "Spot", maxCount: 5 }] }, /kedascale:pools, kedascale:cluster\.existing: pools have no effect.*az aks nodepool add/],
        ["a subscription id that is not a GUID", { cluster: { existing: { ...existing.cluster.existing, subscriptionId: "my-sub" } } }, /kedascale:cluster\.existing\.subscriptionId: must be a subscription id/],
    ])("refuses %s", (_why, over, expected) => {
        expect(errorsOf(over)).toMatch(expected);
    });

    it("accepts the stack as it is, with no warning", () => {
        expect(parseConfig(existing, [], { stack: "existing" }).warnings).toEqual([]);
    });
});
