/**
 * Preflight of a workload's `handler` (issue 22 point 4): each misconfiguration refused with the key, the bad value
 * and the fix, all at once, before any resource is registered; and what the pod's requests add up to for capacity.
 * Pure: parseConfig with a project directory built here (as loadConfig gives it).
 */
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../components/config/load";
import { ConfigError } from "../components/config/rules/problem";
import { existingClusterProblems } from "../components/plan/existingCluster";
import { podRequestQuantities, podRequests } from "../components/plan/handler";

const DIGEST = "sha256:" + "0123456789abcdef".repeat(4);
const resources = { requests: { cpu: "100m", memory: "96Mi" }, limits: { memory: "192Mi" } };
const handlerResources = { requests: { cpu: "50m", memory: "48Mi" }, limits: { memory: "96Mi" } };
const spot = { name: "spot", vmSize: "Standard_D2ds_v5", priority: "Spot", minCount: 0, maxCount: 5 };
const root = mkdtempSync(join(tmpdir(), "kedascale-handler-"));
mkdirSync(join(root, "handler"));
writeFileSync(join(root, "handler", "Dockerfile"), "ARG WORKER_IMAGE\nFROM ${WORKER_IMAGE}\n");
const build = { build: { context: "handler" } };
const http = (over: Record<string, unknown> = {}) => ({ http: { port: 8081, ...over }, resources: handlerResources });
const wl = (over: Record<string, unknown> = {}) => ({ name: "h", kind: "job", resources, maxReplicaCount: 5, image: build, handler: http(), ...over });
const vn = { cluster: { virtualNodes: true }, network: { plugin: "azureNodeSubnet" }, messaging: { broker: "serviceBus", virtualNodes: { acceptLocalAuth: true } } };

function errors(config: Record<string, unknown>): string {
    try {
        parseConfig({ pools: [spot], ...config }, [], { stack: "dev", root });
        return "";
    } catch (e) {
        if (e instanceof ConfigError) return e.message;
        throw e;
    }
}

const CASES: [string, Record<string, unknown>, RegExp][] = [
    ["http without an image", { workloads: [wl({ image: undefined })] }, /workloads\[0\]\.handler\.http, kedascale:workloads\[0\]\.image: handler\.http runs your HTTP server beside the worker, but workload "h" names no image.*Fix: set image to your handler's image/],
    ["exec without an image", { workloads: [wl({ image: undefined, handler: { exec: ["/handler/run.sh"] } })] }, /workloads\[0\]\.handler\.exec, kedascale:workloads\[0\]\.image: handler\.exec runs the worker inside your image.*Fix: set image: \{ build: \{ context \} \} with a Dockerfile FROM \$\{WORKER_IMAGE\}/],
    ["exec with a prebuilt image", { workloads: [wl({ image: `mcr.microsoft.com/team/app@${DIGEST}`, handler: { exec: ["/run.sh"] } })] }, /workloads\[0\]\.image, kedascale:workloads\[0\]\.handler\.exec: image "mcr\.microsoft\.com\/team\/app@sha256:[0-9a-f]+" is prebuilt: handler\.exec needs the worker inside the image.*Fix: use image: \{ build/],
    ["exec with its own WORKER_IMAGE", { workloads: [wl({ image: { build: { context: "handler", args: { WORKER_IMAGE: "node:22" } } }, handler: { exec: ["/run.sh"] } })] }, /workloads\[0\]\.image\.build\.args\.WORKER_IMAGE: image\.build\.args\.WORKER_IMAGE "node:22" would be overridden.*Fix: remove it/],
    ["exec with command", { workloads: [wl({ handler: { exec: ["/run.sh"] }, command: ["python"] })] }, /workloads\[0\]\.command, kedascale:workloads\[0\]\.handler\.exec: command \["python"\] conflicts with handler\.exec.*work --handler exec -- \/run\.sh.*Fix: put your command/],
    ["exec with args", { workloads: [wl({ handler: { exec: ["/run.sh"] }, args: ["-v"] })] }, /workloads\[0\]\.args, kedascale:workloads\[0\]\.handler\.exec: args \["-v"\] conflicts/],
    ["exec with handler.resources (no effect)", { workloads: [wl({ handler: { exec: ["/run.sh"], resources: handlerResources } })] }, /workloads\[0\]\.handler\.resources: handler\.resources has no effect with handler\.exec.*Fix: remove handler\.resources/],
    ["both modes", { workloads: [wl({ handler: { http: { port: 8081 }, exec: ["/run.sh"] } })] }, /workloads\[0\]\.handler: handler .* names both http and exec.*Fix: keep exactly one/],
    ["neither mode", { workloads: [wl({ handler: { resources: handlerResources } })] }, /workloads\[0\]\.handler: handler .* names neither http nor exec/],
    ["a port out of range", { workloads: [wl({ handler: http({ port: 70000 }) })] }, /workloads\[0\]\.handler\.http\.port: port 70000 is not a TCP port.*Fix: use a port from 1 to 65535/],
    ["port 0", { workloads: [wl({ handler: http({ port: 0 }) })] }, /workloads\[0\]\.handler\.http\.port: port 0 is not a TCP port/],
    ["the worker's health port in a Deployment", { workloads: [wl({ kind: "deployment", handler: http({ port: 8080 }) })] }, /workloads\[0\]\.handler\.http\.port: port 8080 is the worker's own health port in the pod \(--health-port 8080.*Fix: use another port, e\.g\. 8081/],
    ["a path without '/'", { workloads: [wl({ handler: http({ path: "events" }) })] }, /workloads\[0\]\.handler\.http\.path: path "events" does not start with '\/'.*Fix: write it as "\/events"/],
    ["a health path without '/'", { workloads: [wl({ handler: http({ healthPath: "healthz" }) })] }, /workloads\[0\]\.handler\.http\.healthPath: healthPath "healthz" does not start with '\/'/],
    ["http without handler.resources", { workloads: [wl({ handler: { http: { port: 8081 } } })] }, /workloads\[0\]\.handler\.resources, kedascale:workloads\[0\]\.handler\.http: handler\.http runs your server as a second container.*no requests.*Fix: add handler\.resources/],
    ["handler limits below requests", { workloads: [wl({ handler: { http: { port: 8081 }, resources: { requests: { cpu: "50m", memory: "96Mi" }, limits: { memory: "48Mi" } } } })] }, /workloads\[0\]\.handler\.resources: handler\.resources: limit memory 48Mi is below request 96Mi/],
    ["http on virtual nodes", { ...vn, workloads: [wl({ placement: "virtualNodes" })] }, /workloads\[0\]\.handler\.http, kedascale:workloads\[0\]\.placement: handler\.http cannot run on virtual nodes.*ACI runs no init containers.*Fix: use handler: \{ exec: \[command, args…\] \}/],
    ["http as a Container Apps job", { workloads: [wl({ platform: "containerApps", resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "1Gi" } } })] }, /workloads\[0\]\.handler\.http, kedascale:workloads\[0\]\.platform: handler\.http cannot run as a Container Apps job.*an execution completes only when all its containers exit.*Fix: use handler: \{ exec/],
    ["a native sidecar on Kubernetes 1.28", { cluster: { kubernetesVersion: "1.28" }, workloads: [wl()] }, /workloads\[0\]\.handler\.http, kedascale:cluster\.kubernetesVersion: Kubernetes 1\.28 has no native sidecars.*Fix: use Kubernetes 1\.29 or later, or kind deployment, or handler\.exec/],
    ["a handler on a topic (the worker reads queues only)", { messaging: { broker: "serviceBus" }, workloads: [wl({ topic: { name: "orders", subscription: "all" } })] }, /workloads\[0\]\.topic, kedascale:workloads\[0\]\.image: the kedascale worker reads queues only/],
];

describe("handler preflight: each misconfiguration names its key, value and fix", () => {
    it.each(CASES)("%s", (_why, config, line) => {
        const text = errors(config);
        expect(text.split("\n").some((l) => line.test(l)), text || "(no problem reported)").toBe(true);
    });

    it("reports them all in one pass", () => {
        const text = errors({ workloads: [wl({ name: "a", handler: http({ port: 0, path: "x" }) }), wl({ name: "b", image: undefined, handler: { exec: ["/run.sh"] }, command: ["sh"] })] });
        for (const needle of ["workloads[0].handler.http.port", "workloads[0].handler.http.path", "workloads[1].image", "workloads[1].command"]) expect(text).toContain(needle);
    });

    it("accepts the worker's flags with a handler (they are the worker's), http in a Job on port 8080, and exec on virtual nodes and Container Apps", () => {
        expect(
            errors({
                workloads: [
                    wl({ name: "a", kind: "deployment", inflight: 4, handler: http(), env: { PORT: "8081" }, command: ["python3", "/app/handler.py"] }),
                    wl({ name: "b", job: { mode: "drain" }, handler: http({ port: 8080 }) }),
                    wl({ name: "cj", handler: { exec: ["/handler/handler.sh"] }, platform: "containerApps", resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "1Gi" } } }),
                ],
            }),
        ).toBe("");
        expect(errors({ ...vn, workloads: [wl({ name: "d", placement: "virtualNodes", resources: { requests: { cpu: "100m", memory: "96Mi" }, limits: { memory: "96Mi" } }, handler: { exec: ["/handler/handler.sh"] } })] })).toBe("");
    });
});

describe("the pod's requests count the handler's container", () => {
    it("sums the worker's and an http handler's requests; exec and plain workloads request their one container", () => {
        const w = (handler?: unknown) => ({ name: "h", image: build, resources, ...(handler ? { handler } : {}) }) as Parameters<typeof podRequests>[0];
        expect(podRequests(w(http()))).toEqual({ cpuMillis: 150, memoryMiB: 144 });
        expect(podRequestQuantities(w(http()))).toEqual({ cpu: "150m", memory: "144Mi" });
        expect(podRequests(w({ exec: ["/run.sh"] }))).toEqual({ cpuMillis: 100, memoryMiB: 96 });
        expect(podRequestQuantities(w())).toEqual(resources.requests);
    });

    it("refuses more replicas than Spot holds once the handler's requests are counted, naming both", () => {
        // Standard_D2ds_v5: 1,900m CPU allocatable, 5 Spot nodes. The worker alone (800m) fits 2 per node, 10 in all; with
        // the handler (1,100m) only 1 per node, 5 in all, below maxReplicaCount 8.
        const big = { requests: { cpu: "800m", memory: "256Mi" }, limits: { memory: "512Mi" } };
        const text = errors({ workloads: [wl({ resources: big, maxReplicaCount: 8, handler: { http: { port: 8081 }, resources: { requests: { cpu: "300m", memory: "64Mi" }, limits: { memory: "128Mi" } } } })] });
        expect(text).toMatch(/workloads\[0\]\.maxReplicaCount.*requests cpu 1100m \/ memory 320Mi \(resources \+ handler\.resources\) each, Spot only\) exceeds the 5 pods/);
        expect(errors({ workloads: [wl({ resources: big, maxReplicaCount: 8, image: undefined, handler: undefined })] })).toBe("");
    });
});

describe("an existing cluster must run native sidecars when a Job has an http handler", () => {
    const ref = { resourceGroupName: "rg", clusterName: "aks" };
    const facts = (kubernetesVersion: string) => ({
        kubernetesVersion,
        oidcIssuerProfile: { enabled: true, issuerURL: "https://issuer" },
        securityProfile: { workloadIdentity: { enabled: true } },
        identityProfile: { kubeletidentity: { objectId: "00000000-0000-0000-0000-000000000001" } },
    });
    it("refuses 1.28 with the upgrade command, accepts 1.29, and asks nothing without such a Job", () => {
        const old = existingClusterProblems(facts("1.28.9"), ref, { helmKeda: true, spotPool: false, nativeSidecars: ["h"] });
        expect(old.join("\n")).toMatch(/runs Kubernetes 1\.28\.9, but workload\(s\) h run an http handler as a native sidecar.*Fix: az aks update --resource-group rg --name aks --kubernetes-version/);
        expect(existingClusterProblems(facts("1.29.0"), ref, { helmKeda: true, spotPool: false, nativeSidecars: ["h"] })).toEqual([]);
        expect(existingClusterProblems(facts("1.28.9"), ref, { helmKeda: true, spotPool: false })).toEqual([]);
    });
});
