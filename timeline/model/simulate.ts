/**
 * The burst model: a deterministic (seeded) 1-second-step simulation of one workload draining a burst — KEDA's
 * polls, Job arithmetic and Job clean-up (keda.ts), the HPA behind a ScaledObject (hpa.ts), the operator's API token
 * bucket (throttle.ts), the cluster autoscaler's scans, node provisioning (with Spot failures), scheduling by pods per
 * node (capacity.ts), pod start and work time.
 * Not modelled: the scheduler's own latency, API-server throttling beyond KEDA's client, VMSS batch limits, Spot
 * evictions during the burst; say so where it matters.
 */
import { HPA_SYNC_SECONDS, hpaSync, initialScaledObjectState, jobsToDelete, scaledJobJobsToCreate, scaledObjectPoll, type ScaledObjectState } from "./keda";
import { TokenBucket } from "./throttle";
import { logNormal, prng } from "./random";
import { podsPerNode } from "./capacity";
import type { ModelInputs } from "./fromStack";
import type { ParamValues } from "./params";
import { TIMELINE_FORMAT, type Marks, type Sample, type Timeline } from "../samples";

type PodState = "pending" | "starting" | "running" | "done";
interface Pod {
    createdAt: number;
    state: PodState;
    node?: Node;
    startAt: number;
    /** Completion times of the messages it holds. */
    work: number[];
    exitAt: number;
    /** Replica asked to stop (deployment scale-in): takes no more messages. */
    stopping: boolean;
}
interface Node {
    requestedAt: number;
    readyAt: number;
    failed: boolean;
    ready: boolean;
    removed: boolean;
    pods: number;
    emptySince: number;
}

export interface SimulationResult {
    readonly timeline: Timeline;
    /** Exact key moments, seconds. */
    readonly marks: Marks;
    /** Seconds from the burst to the last message done and no Job/replica running; undefined if it never drained. */
    readonly drainedAt?: number;
    readonly jobsCreated: number;
    readonly peakNodes: number;
    readonly podsPerNode: number;
    readonly podsPerNodeBoundBy: string;
    /** First to last Job creation (ScaledJob). */
    readonly creationSeconds: number;
    readonly firstPollAt: number;
    readonly nodeRequests: number;
    readonly failedNodes: number;
}

export interface SimulationOptions {
    readonly seed: number;
    /** Upper bound of simulated time (s). */
    readonly horizonSeconds?: number;
}

export function simulate(m: ModelInputs, p: ParamValues, opts: SimulationOptions): SimulationResult {
    const w = m.workload;
    const fit = podsPerNode(m.pool.vmSize, m.pool.maxPods, w.requests, { cpuMillis: p.daemonSetCpuMillis, memoryMiB: p.daemonSetMemoryMiB, pods: p.daemonSetPods });
    if (fit.podsPerNode < 1) {
        throw new Error(`no ${w.name} pod fits a ${m.pool.vmSize} node (requests ${w.requests.cpu} / ${w.requests.memory}; allocatable ${fit.allocatable.cpuMillis}m / ${fit.allocatable.memoryMiB}Mi before DaemonSets)`);
    }
    const ppn = fit.podsPerNode;
    const phaseRand = prng(opts.seed);
    const provisionRand = prng(opts.seed ^ 0x9e3779b9);
    const spotRand = prng(opts.seed ^ 0x85ebca6b);
    const horizon = opts.horizonSeconds ?? 6 * 3600;
    const dt = 1;

    let visible = 0;
    let sent = 0;
    let inflight = 0;
    let done = 0;
    const pods: Pod[] = [];
    const nodes: Node[] = [];
    for (let i = 0; i < m.pool.minCount; i++) nodes.push({ requestedAt: 0, readyAt: 0, failed: false, ready: true, removed: false, pods: 0, emptySince: 0 });
    const bucket = new TokenBucket(m.keda.qps, m.keda.burst);
    // KEDA's loop runs since the ScaledJob/ScaledObject exists: the burst lands at a random point of its period.
    let nextPoll = phaseRand() * w.pollingInterval;
    const firstPollAt = nextPoll;
    let nextScan = phaseRand() * m.autoscaler.scanIntervalSeconds;
    // The HPA's syncs: resyncPeriod after the previous reconcile ENDS (horizontal.go processNextWorkItem re-adds the key
    // with AddRateLimited), so a little more than 15 s apart; the sync's own time is what its windows are measured from.
    let nextHpa = phaseRand() * HPA_SYNC_SECONDS;
    let backoffUntil = 0;
    let lastScaleUpAt = -Infinity;
    // The ScaledObject's replicas, KEDA's last active poll and the HPA's memory (keda.ts scaledObjectPoll, hpaSync).
    let so: ScaledObjectState = initialScaledObjectState(0);
    // Finished Jobs still in the API (KEDA deletes those past the history limits at each poll).
    let jobsDeleted = 0;
    let jobsCreated = 0;
    let firstCreated: number | undefined;
    let lastCreated: number | undefined;
    let nodeRequests = 0;
    let failedNodes = 0;
    let peakNodes = nodes.length;
    let peakNodesAt: number | undefined;
    let drainedAt: number | undefined;
    const samples: Sample[] = [];

    const readyNodes = () => nodes.filter((n) => n.ready && !n.removed);
    const unfinished = () => pods.filter((x) => x.state !== "done");
    const take = (pod: Pod, t: number, count: number) => {
        const n = Math.min(count, visible);
        visible -= n;
        inflight += n;
        for (let i = 0; i < n; i++) pod.work.push(t + m.workSeconds);
        return n;
    };

    for (let t = 0; t <= horizon; t += dt) {
        // The burst arrives (all at once, or spread over sendSeconds).
        const due = p.sendSeconds > 0 ? Math.min(m.messages, Math.floor((m.messages * (t + dt)) / p.sendSeconds)) : m.messages;
        visible += due - sent;
        sent = due;

        // Nodes come up, or fail after maxNodeProvisionTime (the autoscaler only notices then: FACTS §2).
        for (const n of nodes) {
            if (n.removed || n.ready) continue;
            if (!n.failed && n.readyAt <= t) {
                n.ready = true;
                n.emptySince = t;
            } else if (n.failed && t >= n.requestedAt + m.autoscaler.maxNodeProvisionSeconds) {
                n.removed = true;
                backoffUntil = Math.max(backoffUntil, t + p.nodeGroupBackoffSeconds);
            }
        }

        // Messages finish; pods take more or exit.
        for (const pod of pods) {
            if (pod.state !== "running") continue;
            const left = pod.work.filter((end) => end > t);
            const finished = pod.work.length - left.length;
            done += finished;
            inflight -= finished;
            pod.work = left;
            if (w.kind === "job") {
                if (pod.work.length === 0 && pod.exitAt === Infinity) {
                    if (w.mode === "drain" && take(pod, t, 1) > 0) continue;
                    pod.exitAt = finished > 0 && w.mode === "once" ? t : t + p.emptyJobSeconds;
                }
            } else if (!pod.stopping) {
                take(pod, t, w.inflight - pod.work.length);
            } else if (pod.work.length === 0) pod.exitAt = t;
            if (pod.exitAt <= t) {
                pod.state = "done";
                pod.node!.pods--;
                if (pod.node!.pods === 0) pod.node!.emptySince = t;
            }
        }

        // Pods whose container started take their first messages.
        for (const pod of pods) {
            if (pod.state === "starting" && pod.startAt <= t) {
                pod.state = "running";
                const got = take(pod, t, w.kind === "job" ? 1 : pod.stopping ? 0 : w.inflight);
                if (got === 0) pod.exitAt = w.kind === "job" || pod.stopping ? t + p.emptyJobSeconds : Infinity;
            }
        }

        // KEDA polls. A ScaledJob poll creates its Jobs synchronously through the token bucket, so the next poll waits
        // for the last Create (scale_handler.go startScaleLoop: the timer runs during checkScalers).
        const queueLength = visible + inflight;
        if (t >= nextPoll) {
            let pollEnds = t;
            if (w.kind === "job") {
                const open = unfinished().filter((x) => x.createdAt <= t);
                const pending = open.filter((x) => x.state === "pending" || x.state === "starting").length;
                const n = scaledJobJobsToCreate(w, { queueLength, running: open.length, pending });
                for (let i = 0; i < n; i++) {
                    const at = bucket.take(t);
                    pods.push({ createdAt: at, state: "pending", startAt: Infinity, work: [], exitAt: Infinity, stopping: false });
                    jobsCreated++;
                    firstCreated ??= at;
                    lastCreated = at;
                    pollEnds = at;
                }
                // Then cleanUp: finished Jobs past successfulJobsHistoryLimit, one Delete each through the same bucket
                // (scale_jobs.go RequestJobScale 98 → cleanUp). Every Job here succeeds (no failed history).
                const finished = pods.filter((x) => x.state === "done").length - jobsDeleted;
                const deletes = jobsToDelete(finished, 0, w.successfulJobsHistoryLimit, w.failedJobsHistoryLimit);
                for (let i = 0; i < deletes; i++) pollEnds = bucket.take(t);
                jobsDeleted += deletes;
            } else {
                // KEDA activates 0 → max(min, 1), raises an idle target to min, and takes it to 0 (or idleReplicaCount)
                // cooldownPeriod after the last activity; everything else is the HPA's.
                so = scaledObjectPoll(w, so, queueLength, t);
            }
            nextPoll = Math.max(t + w.pollingInterval, pollEnds);
        }

        // The HPA (ScaledObject at one replica or more): every sync, tolerance, stabilization and rate limits (hpa.ts).
        if (w.kind === "deployment" && t >= nextHpa) {
            so = hpaSync(w, so, queueLength, nextHpa);
            nextHpa += HPA_SYNC_SECONDS + HPA_RECONCILE_SECONDS;
        }
        if (w.kind === "deployment") {
            const live = pods.filter((x) => x.state !== "done" && !x.stopping);
            for (let i = live.length; i < so.replicas; i++) {
                pods.push({ createdAt: t, state: "pending", startAt: Infinity, work: [], exitAt: Infinity, stopping: false });
                firstCreated ??= t;
                lastCreated = t;
                jobsCreated++;
            }
            // Scale-in: stop the newest replicas (pending ones first); they finish in-flight work, then exit.
            for (const pod of live.slice(so.replicas).reverse()) {
                pod.stopping = true;
                if (pod.state === "pending") pod.state = "done";
                else if (pod.work.length === 0) pod.exitAt = t;
            }
        }

        // The scheduler binds pending pods to Ready nodes with room.
        const room = readyNodes().filter((n) => n.pods < ppn);
        for (const pod of pods) {
            if (pod.state !== "pending" || pod.createdAt > t) continue;
            while (room.length && room[0].pods >= ppn) room.shift();
            const node = room[0];
            if (!node) break;
            node.pods++;
            pod.node = node;
            pod.state = "starting";
            pod.startAt = t + p.podStartSeconds;
        }

        // The cluster autoscaler's scan: scale up for unschedulable pods, scale down empty nodes.
        if (t >= nextScan) {
            nextScan = t + m.autoscaler.scanIntervalSeconds;
            const unschedulable = pods.filter((x) => x.state === "pending" && x.createdAt <= t - m.autoscaler.newPodScaleUpDelaySeconds).length;
            const upcoming = nodes.filter((n) => !n.removed && !n.ready).length;
            const live = nodes.filter((n) => !n.removed).length;
            const wanted = Math.ceil(Math.max(0, unschedulable - upcoming * ppn) / ppn);
            const add = t >= backoffUntil ? Math.min(wanted, m.pool.maxCount - live) : 0;
            for (let i = 0; i < add; i++) {
                const failed = spotRand() < p.spotFailureRate;
                nodes.push({ requestedAt: t, readyAt: t + logNormal(provisionRand, p.nodeProvisionMedianSeconds, p.nodeProvisionSigma), failed, ready: false, removed: false, pods: 0, emptySince: Infinity });
                nodeRequests++;
                if (failed) failedNodes++;
            }
            if (add > 0) lastScaleUpAt = t;
            if (t - lastScaleUpAt >= m.autoscaler.scaleDownDelayAfterAddSeconds) {
                let removable = readyNodes().length - m.pool.minCount;
                let bulk = m.autoscaler.maxEmptyBulkDelete;
                for (const n of readyNodes()) {
                    if (removable <= 0 || bulk <= 0) break;
                    if (n.pods === 0 && t - n.emptySince >= m.autoscaler.scaleDownUnneededSeconds) {
                        n.removed = true;
                        removable--;
                        bulk--;
                    }
                }
            }
        }

        const ready = readyNodes().length;
        if (ready > peakNodes) {
            peakNodes = ready;
            peakNodesAt = t;
        }
        const running = w.kind === "job" ? pods.filter((x) => x.state !== "done" && x.createdAt <= t).length : pods.filter((x) => x.state !== "done").length;
        // Drained: every message done and, for a ScaledJob, no Job left (replicas linger until cooldownPeriod by design).
        if (drainedAt === undefined && done >= m.messages && (w.kind !== "job" || running === 0)) drainedAt = t;
        if (t % p.sampleSeconds === 0) {
            samples.push({ t, queueDepth: visible + inflight, running, ...(w.kind === "job" ? { created: pods.filter((x) => x.createdAt <= t).length } : {}), done, readyNodes: ready, nodesByPool: { [m.pool.name]: ready } });
        }
        // Stop once drained and the pool is back to its floor (or a while after, so the scale-down shows).
        const settled = drainedAt !== undefined && nodes.every((n) => n.removed || n.ready) && ready <= m.pool.minCount;
        if (settled || (drainedAt !== undefined && t > drainedAt + m.autoscaler.scaleDownUnneededSeconds + m.autoscaler.scaleDownDelayAfterAddSeconds + 120)) break;
    }

    const marks: Marks = {
        ...(firstCreated !== undefined ? { firstJob: round(firstCreated) } : {}),
        ...(lastCreated !== undefined ? { allJobsCreated: round(w.kind === "job" ? lastCreated : peakReplicasAt(samples)) } : {}),
        ...(peakNodesAt !== undefined ? { peakNodes: peakNodesAt } : {}),
        ...(drainedAt !== undefined ? { drained: drainedAt } : {}),
    };
    const timeline: Timeline = {
        format: TIMELINE_FORMAT,
        source: "simulate",
        stack: m.stack,
        workload: { name: w.name, kind: w.kind },
        messages: m.messages,
        samples,
        marks,
    };
    return {
        timeline,
        marks,
        drainedAt,
        jobsCreated,
        peakNodes,
        podsPerNode: ppn,
        podsPerNodeBoundBy: fit.boundBy,
        creationSeconds: firstCreated !== undefined && lastCreated !== undefined && w.kind === "job" ? lastCreated - firstCreated : 0,
        firstPollAt,
        nodeRequests,
        failedNodes,
    };
}

/** ASSUMPTION: how long one HPA reconcile takes (it only decides ties: a recommendation exactly one window old is outside it). */
const HPA_RECONCILE_SECONDS = 0.01;

const round = (x: number) => Math.round(x * 10) / 10;

function peakReplicasAt(samples: readonly Sample[]): number {
    const most = Math.max(...samples.map((s) => s.running ?? 0));
    return samples.find((s) => s.running === most)?.t ?? 0;
}
