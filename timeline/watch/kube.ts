/**
 * The Kubernetes side of `watch`: list + watch (informers of @kubernetes/client-node, which list, then watch from the
 * list's resourceVersion and re-list when the watch expires) of the workload's Jobs and pods and of the nodes.
 *
 * What each count means, so a real run is drawn like the model and the emulation:
 *   Jobs (ScaledJob)  created: every Job ever seen with label scaledjob.keda.sh/name=<workload> (KEDA labels its Jobs
 *                     so: scale_jobs.go generateJobs); running: those without a true Complete/Failed condition —
 *                     exactly KEDA's runningJobCount (scale_jobs.go isJobFinished)
 *   replicas (ScaledObject)  pods labelled app.kubernetes.io/name=<workload> that are not finished or being deleted
 *   Ready nodes       nodes whose Ready condition is True, per agent pool (label kubernetes.azure.com/agentpool)
 */
import type { KubeConfig, KubernetesObject, V1Job, V1Node, V1Pod } from "@kubernetes/client-node";

export const POOL_LABEL = "kubernetes.azure.com/agentpool";
export const SCALED_JOB_LABEL = "scaledjob.keda.sh/name";
export const APP_LABEL = "app.kubernetes.io/name";

export interface KubeCounts {
    readonly running: number;
    readonly created?: number;
    readonly readyNodes: number;
    readonly nodesByPool: Record<string, number>;
    /** Earliest Job (or pod) creationTimestamp seen, ms since epoch. */
    readonly firstCreatedAt?: number;
}

export const jobFinished = (j: V1Job) => (j.status?.conditions ?? []).some((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
export const podLive = (p: V1Pod) => !p.metadata?.deletionTimestamp && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed";
export const nodeReady = (n: V1Node) => (n.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

/** Pure: counts from the objects the informers hold. `pools` limits readyNodes to the workload's pools (all when empty). */
export function countObjects(kind: "job" | "deployment", jobs: readonly V1Job[], pods: readonly V1Pod[], nodes: readonly V1Node[], seenJobs: ReadonlySet<string>, pools: readonly string[]): KubeCounts {
    const nodesByPool: Record<string, number> = {};
    for (const n of nodes) {
        if (!nodeReady(n)) continue;
        const pool = n.metadata?.labels?.[POOL_LABEL] ?? "(no pool label)";
        nodesByPool[pool] = (nodesByPool[pool] ?? 0) + 1;
    }
    const readyNodes = Object.entries(nodesByPool)
        .filter(([p]) => pools.length === 0 || pools.includes(p))
        .reduce((s, [, n]) => s + n, 0);
    const stamps = (kind === "job" ? jobs : pods).map((o) => o.metadata?.creationTimestamp).filter((d): d is Date => d !== undefined).map((d) => new Date(d).getTime());
    const firstCreatedAt = stamps.length ? Math.min(...stamps) : undefined;
    if (kind === "job") return { running: jobs.filter((j) => !jobFinished(j)).length, created: seenJobs.size, readyNodes, nodesByPool, firstCreatedAt };
    return { running: pods.filter(podLive).length, readyNodes, nodesByPool, firstCreatedAt };
}

interface Cache<T> {
    list(): T[];
    start(): Promise<void>;
    stop(): Promise<void>;
    on(verb: string, cb: (x: any) => void): void;
}

export interface KubeSamplerOptions {
    readonly namespace: string;
    readonly workload: string;
    readonly kind: "job" | "deployment";
    /** Agent pools whose Ready nodes count for the workload (empty: every pool). */
    readonly pools: readonly string[];
    /** Called with a watch error before the informer is restarted. */
    readonly onError?: (what: string, err: unknown) => void;
}

/** Keeps the workload's Jobs, pods and the nodes up to date by list + watch; `counts()` reads them at any instant. */
export class KubeSampler {
    private readonly seenJobs = new Set<string>();
    private informers: { name: string; cache: Cache<KubernetesObject> }[] = [];
    private stopped = false;
    private firstCreatedAt?: number;

    constructor(
        private readonly kc: KubeConfig,
        private readonly o: KubeSamplerOptions,
    ) {}

    async start(): Promise<void> {
        const k8s = await import("@kubernetes/client-node");
        const core = this.kc.makeApiClient(k8s.CoreV1Api);
        const batch = this.kc.makeApiClient(k8s.BatchV1Api);
        const ns = this.o.namespace;
        const jobSel = `${SCALED_JOB_LABEL}=${this.o.workload}`;
        const podSel = `${APP_LABEL}=${this.o.workload}`;
        const make = <T extends KubernetesObject>(name: string, path: string, list: () => Promise<any>, sel?: string) => {
            const cache = k8s.makeInformer<T>(this.kc, path, list, sel) as unknown as Cache<KubernetesObject>;
            this.informers.push({ name, cache });
            return cache;
        };
        const jobs = make<V1Job>("jobs", `/apis/batch/v1/namespaces/${ns}/jobs`, () => batch.listNamespacedJob({ namespace: ns, labelSelector: jobSel }), jobSel);
        // Jobs deleted by KEDA's history cleanup still count as created.
        const remember = (j: V1Job) => j.metadata?.uid && this.seenJobs.add(j.metadata.uid);
        jobs.on("add", remember);
        jobs.on("update", remember);
        make<V1Pod>("pods", `/api/v1/namespaces/${ns}/pods`, () => core.listNamespacedPod({ namespace: ns, labelSelector: podSel }), podSel);
        make<V1Node>("nodes", "/api/v1/nodes", () => core.listNode());
        for (const { name, cache } of this.informers) {
            cache.on("error", (err: unknown) => {
                this.o.onError?.(name, err);
                // ListWatch stops on an error; restart it after a pause, as client-node's docs advise.
                if (!this.stopped) setTimeout(() => !this.stopped && cache.start().catch((e) => this.o.onError?.(name, e)), 2000).unref();
            });
        }
        await Promise.all(this.informers.map((i) => i.cache.start()));
    }

    counts(): KubeCounts {
        const get = (name: string) => this.informers.find((i) => i.name === name)?.cache.list() ?? [];
        const jobs = get("jobs") as V1Job[];
        for (const j of jobs) if (j.metadata?.uid) this.seenJobs.add(j.metadata.uid);
        const c = countObjects(this.o.kind, jobs, get("pods") as V1Pod[], get("nodes") as V1Node[], this.seenJobs, this.o.pools);
        if (c.firstCreatedAt !== undefined) this.firstCreatedAt = Math.min(this.firstCreatedAt ?? Infinity, c.firstCreatedAt);
        return { ...c, firstCreatedAt: this.firstCreatedAt };
    }

    async stop(): Promise<void> {
        this.stopped = true;
        await Promise.all(this.informers.map((i) => i.cache.stop().catch(() => undefined)));
    }
}
