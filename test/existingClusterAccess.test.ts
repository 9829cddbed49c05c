/**
 * What stops an unattended run against an existing cluster (issue 23 point 8), refused with the fix: an Entra ID
 * cluster whose kubeconfig would wait for a browser sign-in (or needs a kubelogin that is not there), another KEDA or
 * metrics adapter already serving the external metrics API (a Helm install ARM cannot see), and a deployer without the
 * Kubernetes rights KEDA's chart needs (with Azure RBAC for Kubernetes, a role assignment). The Kubernetes reads run
 * against a local stand-in of the API server, through the real client and the real preflight provider.
 */
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { clusterPreflightProvider, preflightProblems, probeKubernetes, type PreflightInputs } from "../components/azure/clusterPreflight";
import { currentDeployerLogin } from "../components/azure/existingCluster";
import { entraProblems, kubeloginMode, nonInteractiveKubeconfig, type DeployerLogin } from "../components/plan/existingCluster";
import { clearCallOverrides, setCallOverride } from "./harness/mockState";
import { settleProgram } from "./harness/runProgram";
import { collectUnhandledRejections } from "./harness/collectRejections";

const rejections = collectUnhandledRejections();

const ref = { resourceGroupName: "platform-rg", clusterName: "platform-aks" };
const entraCluster = { aadProfile: { managed: true, enableAzureRBAC: true } };
const login = (over: Partial<DeployerLogin> = {}): DeployerLogin => ({ source: "default", env: {}, kubeloginOnPath: true, ...over });

/** The exec user AKS returns for an Entra ID cluster (format exec): kubelogin with a device-code login. */
const AKS_ENTRA_KUBECONFIG = {
    apiVersion: "v1",
    kind: "Config",
    users: [
        {
            name: "clusterUser_platform-rg_platform-aks",
            user: {
                exec: {
                    apiVersion: "client.authentication.k8s.io/v1beta1",
                    command: "kubelogin",
                    args: ["get-token", "--environment", "AzurePublicCloud", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630", "--client-id", "80faf920-1908-4b52-b5ef-a8e7bedfc67a", "--tenant-id", "tenant", "--login", "devicecode"],
                    env: null,
                },
            },
        },
    ],
};

describe("Entra ID clusters: a kubeconfig that never waits for a browser", () => {
    it("switches kubelogin's device-code login to az login's token", () => {
        const out = nonInteractiveKubeconfig(AKS_ENTRA_KUBECONFIG as any, { login: "azurecli" });
        expect(out.users![0].user!.exec).toMatchObject({ command: "kubelogin", args: ["get-token", "--login", "azurecli", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"], interactiveMode: "Never" });
    });

    it("uses workload identity with Pulumi Deployments' OIDC token file", () => {
        const mode = kubeloginMode(login({ source: "deploymentsOidc", env: { ARM_CLIENT_ID: "cid", ARM_TENANT_ID: "tid" }, deploymentsTokenFile: "/mnt/pulumi/pulumi.oidc" }));
        expect(mode).toEqual({ login: "workloadidentity", env: { AZURE_CLIENT_ID: "cid", AZURE_TENANT_ID: "tid", AZURE_FEDERATED_TOKEN_FILE: "/mnt/pulumi/pulumi.oidc" } });
        const out = nonInteractiveKubeconfig(AKS_ENTRA_KUBECONFIG as any, mode as any);
        expect(out.users![0].user!.exec!.args).toEqual(["get-token", "--login", "workloadidentity", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"]);
        expect(out.users![0].user!.exec!.env).toEqual([
            { name: "AZURE_CLIENT_ID", value: "cid" },
            { name: "AZURE_TENANT_ID", value: "tid" },
            { name: "AZURE_FEDERATED_TOKEN_FILE", value: "/mnt/pulumi/pulumi.oidc" },
        ]);
    });

    it("refuses without kubelogin on PATH, and with an ESC token kubelogin cannot read, each with its fix", () => {
        expect(entraProblems(entraCluster, ref, login({ kubeloginOnPath: false })).join("\n")).toMatch(/platform-rg\/platform-aks uses Entra ID integration .* kubelogin is not on PATH .* Fix: az aks install-cli/);
        expect(entraProblems(entraCluster, ref, login({ source: "armOidc", env: { ARM_OIDC_TOKEN: "x" } })).join("\n")).toMatch(/ARM_OIDC_TOKEN .* Fix: also export the token as a file with AZURE_FEDERATED_TOKEN_FILE/);
        expect(entraProblems({}, ref, login({ kubeloginOnPath: false }))).toEqual([]); // not an Entra cluster: nothing to run
    });

    it("finds kubelogin on PATH as the provider would run it", () => {
        const dir = mkdtempSync(join(tmpdir(), "kubelogin-"));
        expect(currentDeployerLogin({ PATH: dir }).kubeloginOnPath).toBe(false);
        writeFileSync(join(dir, "kubelogin"), "#!/bin/sh\n");
        chmodSync(join(dir, "kubelogin"), 0o755);
        expect(currentDeployerLogin({ PATH: `/nonexistent${delimiter}${dir}` }).kubeloginOnPath).toBe(true);
    });
});

describe("the existing stack against an Entra ID cluster, as the program runs it", () => {
    const GET_CLUSTER = "azure-native:containerservice:getManagedCluster";
    const LIST_CREDENTIALS = "azure-native:containerservice:listManagedClusterUserCredentials";
    const savedPath = process.env.PATH;
    afterEach(() => {
        clearCallOverrides();
        process.env.PATH = savedPath;
    });

    it("refuses at read time when kubelogin is missing, before any kubeconfig is read", async () => {
        process.env.PATH = mkdtempSync(join(tmpdir(), "nokubelogin-"));
        setCallOverride(GET_CLUSTER, (_i, c) => ({ ...c, ...entraCluster }));
        let kubeconfigRead = false;
        setCallOverride(LIST_CREDENTIALS, (_i, r) => ((kubeconfigRead = true), r));
        rejections.length = 0;
        const error: unknown = await settleProgram("existing").then(
            (run) => run.error,
            (e: unknown) => e,
        );
        // Let the failure reach every resource that waited on the cluster (quiet for 3 rounds of 25 ms).
        for (let quiet = 0, last = -1; quiet < 3; ) {
            await new Promise((r) => setTimeout(r, 25));
            quiet = rejections.length === last ? quiet + 1 : 0;
            last = rejections.length;
        }
        const message = [error instanceof Error ? error.message : String(error), ...rejections].join("\n");
        expect(message).toMatch(/kedascale cannot deploy into the existing cluster .*\n.*uses Entra ID integration \(aadProfile\.managed\).*kubelogin is not on PATH.*Fix: az aks install-cli/);
        expect(kubeconfigRead).toBe(false);
    });

    it("asks AKS for the exec kubeconfig and hands the Kubernetes provider one that signs in with az login", async () => {
        const dir = mkdtempSync(join(tmpdir(), "kubelogin-"));
        writeFileSync(join(dir, "kubelogin"), "#!/bin/sh\nexit 1\n");
        chmodSync(join(dir, "kubelogin"), 0o755);
        process.env.PATH = `${dir}${delimiter}${savedPath}`;
        setCallOverride(GET_CLUSTER, (_i, c) => ({ ...c, ...entraCluster }));
        let format: unknown;
        setCallOverride(LIST_CREDENTIALS, (inputs) => {
            format = inputs.format;
            const yaml = `apiVersion: v1\nkind: Config\nclusters: [{name: aks, cluster: {server: "https://mock"}}]\ncontexts: [{name: aks, context: {cluster: aks, user: u}}]\ncurrent-context: aks\nusers: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: kubelogin, args: [get-token, --server-id, sid, --login, devicecode]}}}]\n`;
            return { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(yaml).toString("base64") }] };
        });
        const run = await settleProgram("existing");
        expect(run.error).toBeUndefined();
        expect(format).toBe("exec");
        const provider = run.resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
        const kubeconfig = JSON.parse(String(provider.inputs.kubeconfig?.value ?? provider.inputs.kubeconfig));
        expect(kubeconfig.users[0].user.exec.args).toEqual(["get-token", "--login", "azurecli", "--server-id", "sid"]);
        // The preflight sees the same kubeconfig, and the provider waits for it.
        expect(run.resources.find((r) => r.type === "pulumi-nodejs:dynamic/aks:ClusterPreflight")).toBeDefined();
        expect(provider.dependsOn).toContain("cluster-preflight");
    });
});

/** A stand-in for the cluster's API server: the external-metrics APIService (or 404) and SelfSubjectAccessReviews. */
function apiServer(state: { apiService?: Record<string, unknown>; deny?: string[] }) {
    const seen: string[] = [];
    const server: Server = createServer((req, res) => {
        seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ""}`);
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
            res.setHeader("content-type", "application/json");
            if (req.method === "GET" && req.url === "/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.external.metrics.k8s.io") {
                if (!state.apiService) {
                    res.statusCode = 404;
                    res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 }));
                } else res.end(JSON.stringify(state.apiService));
                return;
            }
            if (req.method === "POST" && req.url === "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews") {
                const review = JSON.parse(body);
                const ra = review.spec.resourceAttributes;
                review.status = { allowed: !(state.deny ?? []).includes(`${ra.verb} ${ra.resource}`) };
                res.statusCode = 201;
                res.end(JSON.stringify(review));
                return;
            }
            res.statusCode = 404;
            res.end("{}");
        });
    });
    return {
        seen,
        start: () =>
            new Promise<string>((r) =>
                server.listen(0, "127.0.0.1", () => {
                    const port = (server.address() as AddressInfo).port;
                    r(`apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\nusers: [{name: u, user: {token: deployer-token}}]\n`);
                }),
            ),
        stop: () => new Promise<void>((r) => server.close(() => r())),
    };
}

const helmApiService = (release: string, namespace: string) => ({
    apiVersion: "apiregistration.k8s.io/v1",
    kind: "APIService",
    metadata: { name: "v1beta1.external.metrics.k8s.io", annotations: { "meta.helm.sh/release-name": release, "meta.helm.sh/release-namespace": namespace }, labels: { "app.kubernetes.io/managed-by": "Helm" } },
    spec: { service: { namespace, name: `${release}-metrics-apiserver` }, group: "external.metrics.k8s.io", version: "v1beta1", groupPriorityMinimum: 100, versionPriority: 100 },
});

describe("the Kubernetes-side preflight (another external-metrics server, the deployer's rights)", () => {
    let stop: (() => Promise<void>) | undefined;
    afterEach(async () => {
        await stop?.();
        stop = undefined;
    });
    const inputs = (kubeconfig: string, over: Partial<PreflightInputs> = {}): PreflightInputs => ({
        kubeconfig,
        resourceGroupName: "platform-rg",
        clusterName: "platform-aks",
        clusterId: "/subscriptions/s/resourceGroups/platform-rg/providers/Microsoft.ContainerService/managedClusters/platform-aks",
        release: "keda",
        namespace: "keda",
        azureRbac: false,
        ...over,
    });

    it("passes a cluster with no external-metrics server where the deployer may create what KEDA's chart creates", async () => {
        const api = apiServer({});
        const kubeconfig = await api.start();
        stop = api.stop;
        expect(await preflightProblems(inputs(kubeconfig), { probe: probeKubernetes })).toEqual([]);
        expect(api.seen.filter((s) => s.startsWith("POST"))).toHaveLength(6);
        expect(api.seen[0]).toMatch(/Bearer deployer-token$/);
    });

    it("accepts the external metrics API served by kedascale's own release (a second pulumi up)", async () => {
        const api = apiServer({ apiService: helmApiService("keda", "keda") });
        stop = api.stop;
        expect(await preflightProblems(inputs(await api.start()), { probe: probeKubernetes })).toEqual([]);
    });

    it("refuses a KEDA installed by another Helm release, naming it and the helm uninstall that frees the API", async () => {
        const api = apiServer({ apiService: helmApiService("keda", "platform-keda") });
        stop = api.stop;
        const problems = await preflightProblems(inputs(await api.start()), { probe: probeKubernetes });
        expect(problems.join("\n")).toMatch(/platform-rg\/platform-aks already serves the external metrics API \(APIService v1beta1\.external\.metrics\.k8s\.io, served by platform-keda\/keda-metrics-apiserver, from Helm release platform-keda\/keda\).*Fix: helm uninstall keda --namespace platform-keda/);
    });

    it("refuses a deployer Azure RBAC does not let create CRDs, with the role assignment that does", async () => {
        const api = apiServer({ deny: ["create customresourcedefinitions", "create clusterroles"] });
        stop = api.stop;
        const problems = await preflightProblems(inputs(await api.start(), { azureRbac: true }), { probe: probeKubernetes });
        expect(problems.join("\n")).toMatch(
            /the deployer may not create customresourcedefinitions\.apiextensions\.k8s\.io, create clusterroles\.rbac\.authorization\.k8s\.io in the existing AKS cluster platform-rg\/platform-aks.*Fix: az role assignment create .*--role "Azure Kubernetes Service RBAC Cluster Admin" --scope \/subscriptions\/s\/resourceGroups\/platform-rg\/providers\/Microsoft\.ContainerService\/managedClusters\/platform-aks/,
        );
    });

    it("fails Pulumi's check of the preflight resource with every problem, and passes it otherwise", async () => {
        const api = apiServer({ apiService: helmApiService("prometheus-adapter", "monitoring"), deny: ["create namespaces"] });
        stop = api.stop;
        const provider = clusterPreflightProvider({ probe: probeKubernetes });
        const news = inputs(await api.start());
        const result = await provider.check!(news, news);
        expect(result.failures!.map((f) => f.property)).toEqual(["kubeconfig", "kubeconfig"]);
        expect(result.failures!.map((f) => f.reason).join("\n")).toMatch(/helm uninstall prometheus-adapter --namespace monitoring[\s\S]*may not create namespaces/);
        expect((await provider.check!(news, { ...news, kubeconfig: undefined as any })).failures).toBeUndefined();
    });
});
