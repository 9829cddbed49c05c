/**
 * KEDA's scaling loop over real worker processes: every pollingInterval it reads the REAL queue length (Azurite's
 * approximateMessagesCount, which — like Azure Storage and Service Bus — counts messages being worked on: FACTS §9) and
 * applies KEDA's own arithmetic from timeline/model/keda.ts, the functions `simulate` uses:
 *   ScaledJob:    scaledJobJobsToCreate (scale_jobs.go: the scaling strategy's job-count formula, activation, min/max);
 *                 each Job is one worker process; a failed pod is retried up to backoffLimit (Kubernetes' pod failure
 *                 backoff, 10 s doubling), activeDeadlineSeconds ends it;
 *   ScaledObject: scaledObjectPoll (activation 0 → 1, cooldownPeriod back to min or idleReplicaCount, up to min) and,
 *                 every 15 s, hpaSync (the HPA controller: tolerance, stabilization windows, scale-up and scale-down
 *                 rate limits, behavior or not: model/hpa.ts); each replica is a continuous worker process, scaled in
 *                 by SIGTERM with the pod's grace period.
 * It is an emulation of KEDA's formulas, not of the scheduler, the kubelet or the cluster autoscaler: a pod starts the
 * moment its Job or replica is created (or after `podStartSeconds`), with no nodes, images or API throttling.
 * Durations (pollingInterval, cooldownPeriod, the HPA sync, grace periods, backoffs, deadlines) run `timeScale` times
 * faster; samples are in the stack's own seconds (wall time ÷ timeScale).
 */
import { HPA_SYNC_SECONDS, hpaSync, initialScaledObjectState, scaledJobJobsToCreate, scaledObjectPoll, type ScaledObjectState } from "../model/keda";
import type { Sample } from "../samples";
import { startWorker, type PodMapping, type WorkerProcess } from "./pods";
import type { ScalingTarget } from "./rendered";

export interface QueueProbe {
    /** approximateMessagesCount of the work queue: what KEDA's azure-queue scaler reads (queueLengthStrategy all). */
    depth(): Promise<number>;
    /** Messages parked on the poison queue. */
    poisonDepth(): Promise<number>;
}

export interface ControllerOptions {
    readonly target: ScalingTarget;
    readonly pod: PodMapping;
    readonly queue: QueueProbe;
    /** Messages in the burst (for `done`). */
    readonly messages: number;
    /** Wall seconds per stack second (e.g. 1/15: a 30 s polling interval every 2 s). */
    readonly timeScale: number;
    /** Stack seconds from a Job's creation to its pod's start (image pull, scheduling). Default 0. */
    readonly podStartSeconds?: number;
    /** Stop after this many polls even if not drained (a workload that never drains). */
    readonly maxPolls?: number;
    /** Hard stop, wall seconds. */
    readonly maxWallSeconds: number;
    /** Wall ms between samples besides the polls. Default 250. */
    readonly sampleEveryWallMs?: number;
    readonly log?: (line: string) => void;
    /** Ctrl-C: end the loop, then stop every process as at the end of a run. */
    readonly signal?: AbortSignal;
}

export interface ControllerResult {
    readonly samples: Sample[];
    readonly polls: number;
    /** Jobs created (ScaledJob) or replica pods started (ScaledObject), cumulative. */
    readonly created: number;
    readonly drained: boolean;
    /** Why the loop ended. */
    readonly ended: "drained" | "maxPolls" | "timeout" | "interrupted";
    /** Worker processes still running when the loop ended (a drained ScaledJob leaves none). */
    readonly leftRunning: number;
    /** Worker processes still alive after clean-up (must be 0). */
    readonly strays: number;
    readonly jobs: { readonly succeeded: number; readonly failed: number; readonly podsStarted: number; readonly podFailures: number };
    readonly peakRunning: number;
    /** stderr tails of failed pods (at most 3), for a person. */
    readonly failures: string[];
}

/** Kubernetes' Job pod failure backoff: 10 s, doubling, capped at 6 min (kubernetes.io Job docs, "Pod backoff failure policy"). */
export const podFailureBackoffSeconds = (failures: number) => Math.min(360, 10 * 2 ** Math.max(0, failures - 1));

interface Job {
    readonly createdAt: number;
    state: "pending" | "running" | "succeeded" | "failed";
    failures: number;
    proc?: WorkerProcess;
    deadlineExceeded?: boolean;
}

interface Replica {
    readonly proc: WorkerProcess;
    stopping: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runController(o: ControllerOptions): Promise<ControllerResult> {
    const w = o.target;
    const scale = o.timeScale;
    const started = Date.now();
    const now = () => (Date.now() - started) / 1000 / scale;
    const wallMs = (stackSeconds: number) => Math.max(0, stackSeconds * scale * 1000);
    const log = o.log ?? (() => {});
    const all: WorkerProcess[] = [];
    const timers = new Set<NodeJS.Timeout>();
    const later = (stackSeconds: number, fn: () => void) => {
        const h = setTimeout(() => {
            timers.delete(h);
            fn();
        }, wallMs(stackSeconds));
        timers.add(h);
    };
    const failures: string[] = [];
    let podsStarted = 0;
    let podFailures = 0;
    let stopping = false;

    const spawnPod = (): WorkerProcess => {
        const p = startWorker(o.pod.args, o.pod.env);
        all.push(p);
        podsStarted++;
        return p;
    };
    /** SIGTERM, then SIGKILL after the pod's (scaled) terminationGracePeriodSeconds: what the kubelet does. */
    const terminate = (p: WorkerProcess) => {
        if (!p.alive()) return;
        p.proc.kill("SIGTERM");
        later(w.pod.terminationGracePeriodSeconds, () => p.alive() && p.proc.kill("SIGKILL"));
    };

    // ScaledJob state.
    const jobs: Job[] = [];
    const startJobPod = (job: Job) => {
        if (stopping || job.state !== "pending") return;
        const p = (job.proc = spawnPod());
        job.state = "running";
        void p.exit.then(({ code, signal }) => {
            if (job.deadlineExceeded) return void (job.state = "failed");
            if (code === 0) return void (job.state = "succeeded");
            podFailures++;
            job.failures++;
            if (failures.length < 3) failures.push(`pod exited ${code ?? signal}: ${p.tail.join("\n")}`);
            if (job.failures > w.backoffLimit) return void (job.state = "failed");
            job.state = "pending";
            later(podFailureBackoffSeconds(job.failures), () => startJobPod(job));
        });
    };
    const createJob = (t: number) => {
        const job: Job = { createdAt: t, state: "pending", failures: 0 };
        jobs.push(job);
        const start = o.podStartSeconds ?? 0;
        if (start > 0) later(start, () => startJobPod(job));
        else startJobPod(job);
        // activeDeadlineSeconds counts from the Job's start (Kubernetes: status.startTime, set when the Job controller first acts).
        if (w.activeDeadlineSeconds !== undefined)
            later(w.activeDeadlineSeconds, () => {
                if (job.state !== "pending" && job.state !== "running") return;
                job.deadlineExceeded = true;
                if (job.proc?.alive()) terminate(job.proc);
                else job.state = "failed";
            });
    };
    const unfinished = () => jobs.filter((j) => j.state === "pending" || j.state === "running");

    // ScaledObject state.
    const replicas: Replica[] = [];
    let so: ScaledObjectState = initialScaledObjectState(w.minReplicaCount);
    const live = () => replicas.filter((r) => !r.stopping && r.proc.alive());
    const reconcile = () => {
        // The Deployment controller: replace exited replicas, add missing ones, stop the newest extra ones.
        const up = live();
        for (let i = up.length; i < so.replicas; i++) replicas.push({ proc: spawnPod(), stopping: false });
        for (const r of up.slice(so.replicas).reverse()) {
            r.stopping = true;
            terminate(r.proc);
        }
    };
    const rest = w.idleReplicaCount ?? w.minReplicaCount;
    const spec = {
        target: w.trigger.target,
        activation: w.trigger.activation,
        minReplicaCount: w.minReplicaCount,
        maxReplicaCount: w.maxReplicaCount,
        strategy: w.strategy,
        cooldownPeriod: w.cooldownPeriod,
        idleReplicaCount: w.idleReplicaCount,
        hpaBehavior: w.hpaBehavior,
    };

    const samples: Sample[] = [];
    let peakRunning = 0;
    const runningNow = () => (w.kind === "job" ? unfinished().length : live().length);
    const sample = async (depth?: number) => {
        const [q, p] = await Promise.all([depth !== undefined ? depth : o.queue.depth(), o.queue.poisonDepth()]);
        const running = runningNow();
        peakRunning = Math.max(peakRunning, running);
        // t is taken after the reads, so samples pushed by overlapping reads stay in time order.
        samples.push({ t: Math.round(now() * 100) / 100, queueDepth: q, running, ...(w.kind === "job" ? { created: jobs.length } : {}), done: Math.max(0, o.messages - q - p) });
    };

    let polls = 0;
    let nextPoll = 0;
    let nextHpa = HPA_SYNC_SECONDS;
    let nextSampleWall = Date.now();
    let ended: ControllerResult["ended"] = "timeout";
    const deadline = started + o.maxWallSeconds * 1000;
    await sample();
    try {
        for (;;) {
            if (Date.now() > deadline) break;
            if (o.signal?.aborted) {
                ended = "interrupted";
                break;
            }
            const t = now();
            if (t >= nextPoll) {
                const q = await o.queue.depth();
                polls++;
                if (w.kind === "job") {
                    const open = unfinished();
                    const pending = open.filter((j) => j.state === "pending").length;
                    const n = scaledJobJobsToCreate(spec, { queueLength: q, running: open.length, pending });
                    for (let i = 0; i < n; i++) createJob(t);
                    log(`poll ${polls} at ${t.toFixed(0)} s: queue ${q}, Jobs running ${open.length} (pending ${pending}) → create ${n}`);
                    await sample(q);
                    if (q === 0 && unfinished().length === 0 && (jobs.length > 0 || o.messages === 0)) {
                        ended = "drained";
                        break;
                    }
                } else {
                    const before = so.replicas;
                    so = scaledObjectPoll(spec, so, q, t);
                    reconcile();
                    log(`poll ${polls} at ${t.toFixed(0)} s: queue ${q}, replicas ${before} → ${so.replicas}`);
                    await sample(q);
                    if (q === 0 && so.replicas <= rest && all.filter((p) => p.alive()).length <= rest && polls > 1) {
                        ended = "drained";
                        break;
                    }
                }
                if (o.maxPolls !== undefined && polls >= o.maxPolls) {
                    ended = "maxPolls";
                    break;
                }
                // KEDA arms the next poll's timer before checking the scalers (scale_handler.go startScaleLoop).
                nextPoll = Math.max(t + w.pollingInterval, now());
            }
            if (w.kind === "deployment") {
                if (t >= nextHpa) {
                    const q = await o.queue.depth();
                    const before = so.replicas;
                    so = hpaSync(spec, so, q, t);
                    if (so.replicas !== before) log(`HPA at ${t.toFixed(0)} s: queue ${q}, replicas ${before} → ${so.replicas}`);
                    nextHpa = t + HPA_SYNC_SECONDS;
                }
                reconcile();
            }
            if (Date.now() >= nextSampleWall) {
                await sample();
                nextSampleWall = Date.now() + (o.sampleEveryWallMs ?? 250);
            }
            await sleep(20);
        }
        await sample();
    } finally {
        stopping = true;
        for (const h of timers) clearTimeout(h);
        timers.clear();
    }
    const leftRunning = all.filter((p) => p.alive()).length;
    // Clean-up: whatever is left gets SIGTERM, then SIGKILL after 2 s; every process is waited for.
    for (const p of all) if (p.alive()) p.proc.kill("SIGTERM");
    const killer = setTimeout(() => all.forEach((p) => p.alive() && p.proc.kill("SIGKILL")), 2000);
    await Promise.all(all.map((p) => p.exit));
    clearTimeout(killer);
    return {
        samples,
        polls,
        created: w.kind === "job" ? jobs.length : podsStarted,
        drained: ended === "drained",
        ended,
        leftRunning,
        strays: all.filter((p) => p.alive()).length,
        jobs: { succeeded: jobs.filter((j) => j.state === "succeeded").length, failed: jobs.filter((j) => j.state === "failed").length, podsStarted, podFailures },
        peakRunning,
        failures,
    };
}
