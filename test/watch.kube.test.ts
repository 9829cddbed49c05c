/**
 * `watch`'s Kubernetes sampling against a local server on loopback that answers like the API server: list of Jobs
 * (by KEDA's scaledjob.keda.sh/name label), pods and nodes with a resourceVersion, then watch from that
 * resourceVersion with ADDED / MODIFIED / DELETED events — through @kubernetes/client-node's real informers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { KubeSampler, countObjects } from "../timeline/watch/kube";
import { Recorder } from "../timeline/watch/recorder";
import { keyMoments } from "../timeline/samples";

const NS = "workloads";
const job = (name: string, created: string, finished?: "Complete" | "Failed") => ({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: NS, uid: `uid-${name}`, resourceVersion: "1", creationTimestamp: created, labels: { "scaledjob.keda.sh/name": "burst" } },
    status: finished ? { conditions: [{ type: finished, status: "True" }] } : { active: 1 },
});
const node = (name: string, pool: string, ready: boolean) => ({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, uid: `uid-${name}`, resourceVersion: "1", labels: { "kubernetes.azure.com/agentpool": pool } },
    status: { conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
});

/** A tiny API server: lists at resourceVersion 100, then streams the events a test pushes to open watches. */
class FakeApiServer {
    readonly requests: string[] = [];
    private readonly watchers = new Map<string, ServerResponse[]>();
    private server!: Server;
    constructor(private readonly lists: Record<string, { kind: string; items: unknown[] }>) {}

    async start(): Promise<string> {
        this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
            const url = new URL(req.url!, "http://x");
            this.requests.push(`${req.method} ${url.pathname}${url.search}`);
            const list = this.lists[url.pathname];
            if (!list) {
                res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ kind: "Status", code: 404 }));
                return;
            }
            if (url.searchParams.get("watch") === "true") {
                res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
                res.flushHeaders();
                this.watchers.set(url.pathname, [...(this.watchers.get(url.pathname) ?? []), res]);
                return;
            }
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ apiVersion: "v1", kind: list.kind, metadata: { resourceVersion: "100" }, items: list.items }));
        });
        await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
        return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    watching(path: string): boolean {
        return (this.watchers.get(path) ?? []).length > 0;
    }

    push(path: string, type: "ADDED" | "MODIFIED" | "DELETED", object: { metadata: { resourceVersion: string } }, rv: number): void {
        object.metadata.resourceVersion = String(rv);
        for (const res of this.watchers.get(path) ?? []) res.write(JSON.stringify({ type, object }) + "\n");
    }

    async stop(): Promise<void> {
        for (const list of this.watchers.values()) for (const r of list) r.end();
        this.server.closeAllConnections();
        await new Promise((r) => this.server.close(r));
    }
}

const JOBS = `/apis/batch/v1/namespaces/${NS}/jobs`;
const PODS = `/api/v1/namespaces/${NS}/pods`;
const NODES = "/api/v1/nodes";

describe("watch samples Jobs and Ready nodes per pool by list + watch", () => {
    const api = new FakeApiServer({
        [JOBS]: { kind: "JobList", items: [job("burst-a", "2026-01-01T00:00:05Z"), job("burst-b", "2026-01-01T00:00:06Z", "Complete")] },
        [PODS]: { kind: "PodList", items: [] },
        [NODES]: { kind: "NodeList", items: [node("sys-0", "system", true), node("w-0", "worker", true), node("w-1", "worker", false)] },
    });
    let sampler: KubeSampler;

    beforeAll(async () => {
        const server = await api.start();
        const k8s = await import("@kubernetes/client-node");
        const kc = new k8s.KubeConfig();
        // Plain HTTP on loopback: client-node refuses http:// unless skipTLSVerify says so on purpose.
        kc.loadFromOptions({
            clusters: [{ name: "fake", server, skipTLSVerify: true }],
            users: [{ name: "u", token: "test-token" }],
            contexts: [{ name: "fake", cluster: "fake", user: "u" }],
            currentContext: "fake",
        });
        sampler = new KubeSampler(kc, { namespace: NS, workload: "burst", kind: "job", pools: ["worker"] });
        await sampler.start();
        await vi.waitFor(() => expect([JOBS, PODS, NODES].every((p) => api.watching(p))).toBe(true), { timeout: 20_000, interval: 50 });
    });
    afterAll(async () => {
        await sampler?.stop();
        await api.stop();
    });

    it("lists with KEDA's Job label and watches from the list's resourceVersion", () => {
        const jobRequests = api.requests.filter((r) => r.startsWith(`GET ${JOBS}`));
        expect(jobRequests[0]).toContain("labelSelector=scaledjob.keda.sh%2Fname%3Dburst");
        const watch = jobRequests.find((r) => r.includes("watch=true"))!;
        expect(watch).toContain("resourceVersion=100");
        expect(watch).toContain("labelSelector=scaledjob.keda.sh%2Fname%3Dburst");
    });

    it("counts from the list: running = unfinished Jobs (KEDA's runningJobCount), Ready nodes of the workload's pool", () => {
        expect(sampler.counts()).toMatchObject({ running: 1, created: 2, readyNodes: 1, nodesByPool: { system: 1, worker: 1 } });
    });

    it("follows watch events; a Job deleted by history cleanup still counts as created", async () => {
        api.push(JOBS, "ADDED", job("burst-c", "2026-01-01T00:00:07Z"), 101);
        api.push(JOBS, "MODIFIED", job("burst-a", "2026-01-01T00:00:05Z", "Complete"), 102);
        api.push(JOBS, "DELETED", job("burst-b", "2026-01-01T00:00:06Z", "Complete"), 103);
        api.push(NODES, "MODIFIED", node("w-1", "worker", true), 104);
        api.push(NODES, "ADDED", node("w-2", "worker", true), 105);
        await vi.waitFor(() => expect(sampler.counts()).toMatchObject({ running: 1, created: 3, readyNodes: 3, nodesByPool: { system: 1, worker: 3 } }), { timeout: 20_000, interval: 50 });
        expect(sampler.counts().firstCreatedAt).toBe(Date.parse("2026-01-01T00:00:05Z"));
    });

    it("the readings become a timeline whose first-Job mark is the Job's own creationTimestamp", () => {
        const rec = new Recorder({ stack: "scale1000", workload: { name: "burst", kind: "job" } });
        const t0 = Date.parse("2026-01-01T00:00:00Z");
        rec.add({ at: t0, queueDepth: 3, kube: { running: 0, created: 0, readyNodes: 0, nodesByPool: {} } });
        rec.add({ at: t0 + 8000, queueDepth: 3, kube: { ...sampler.counts() } });
        rec.add({ at: t0 + 10_000, kube: { ...sampler.counts(), running: 0 } });
        rec.add({ at: t0 + 12_000, queueDepth: 0, kube: { ...sampler.counts(), running: 0 } });
        const tl = rec.timeline()!;
        expect(tl.samples[2].queueDepth).toBeNull(); // a failed queue read is a gap, not 0
        expect(keyMoments(tl)).toEqual({ firstJob: 5, allJobsCreated: 8, peakNodes: 8, drained: 12 });
    });
});

describe("counting rules", () => {
    it("a Failed Job is finished; a NotReady node and other pools do not count", () => {
        const c = countObjects("job", [job("a", "2026-01-01T00:00:00Z", "Failed"), job("b", "2026-01-01T00:00:01Z")] as never, [], [node("n1", "worker", false), node("n2", "other", true)] as never, new Set(["uid-a", "uid-b"]), ["worker"]);
        expect(c).toMatchObject({ running: 1, created: 2, readyNodes: 0, nodesByPool: { other: 1 } });
    });
});
