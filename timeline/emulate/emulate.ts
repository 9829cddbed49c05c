/**
 * One emulated burst, end to end on this machine: render the stack (the real program under mocks), start Azurite on
 * free loopback ports in a temp folder (consumer/src/azurite.ts, as `npm run demo`), create the queue, its poison queue
 * and the results container with the SDK, send the burst with the real `send`, run KEDA's loop over real worker
 * processes (controller.ts), reconcile with the real `verify`, and return the numbers and the samples in the
 * timeline format (`kedascale-timeline/1`). Everything it started is stopped and removed, on success or failure.
 */
import { startAzurite, type Azurite } from "../../consumer/src/azurite";
import { readStackFile, stackNames } from "../../test/harness/stackConfig";
import type { ScalingStrategy } from "../model/keda";
import { TIMELINE_FORMAT, type Timeline } from "../samples";
import { runController, type ControllerResult } from "./controller";
import { lastJson, mapPod, startWorker } from "./pods";
import { renderStack, scalingTarget, type ScalingTarget } from "./rendered";
import { timeScaleFor } from "./timeScale";

export interface EmulationOptions {
    readonly stack: string;
    /** Config overrides, whole keys as `pulumi config set` (e.g. another scaling strategy). */
    readonly overrides?: Record<string, unknown>;
    /** Which ScaledJob/ScaledObject; default the first. */
    readonly workload?: string;
    /** Render the ScaledJob with this scaling strategy instead of the stack's (an override of kedascale:workloads). */
    readonly scalingStrategy?: ScalingStrategy;
    /** Messages in the burst; default min(the load template's count, 20). */
    readonly messages?: number;
    /** Simulated work per message in the stack's seconds; default the load template's workMs. */
    readonly workSeconds?: number;
    /** Wall seconds per stack second; default so that one pollingInterval takes 2 s. */
    readonly timeScale?: number;
    /** Replace the container's args (e.g. a worker that never receives). */
    readonly argsOverride?: readonly string[];
    readonly podStartSeconds?: number;
    readonly maxPolls?: number;
    /** Hard stop of the loop, wall seconds. Default 240. */
    readonly maxWallSeconds?: number;
    readonly log?: (line: string) => void;
    /** Ctrl-C: stop the loop and clean up. */
    readonly signal?: AbortSignal;
}

export interface EmulationReport {
    readonly stack: string;
    readonly workload: string;
    readonly kind: "job" | "deployment";
    /** ScaledJob scaling strategy ("default" for a ScaledObject, which has none). */
    readonly strategy: string;
    /** The trigger's target (messages per Job or replica) and activation, as rendered. */
    readonly trigger: ScalingTarget["trigger"];
    readonly messages: number;
    readonly timeScale: number;
    readonly created: number;
    /** Jobs created ÷ messages (ScaledJob). */
    readonly jobsPerMessage: number;
    readonly drained: boolean;
    readonly ended: ControllerResult["ended"];
    readonly polls: number;
    readonly queueDepthAtEnd: number;
    readonly poisonAtEnd: number;
    readonly leftRunning: number;
    readonly strays: number;
    readonly peakRunning: number;
    readonly jobs: ControllerResult["jobs"];
    /** The real `verify` of the run: every message's result, once. */
    readonly verify: { expected: number; found: number; missing: number; duplicates: number; ok: boolean };
    readonly failures: string[];
    readonly timeline: Timeline;
}

/** The stack's burst scaled down to what runs here (a few minutes at most, on two cores). */
export const DEFAULT_MAX_MESSAGES = 20;

export async function emulate(o: EmulationOptions): Promise<EmulationReport> {
    const log = o.log ?? (() => {});
    if (!stackNames().includes(o.stack)) throw new Error(`no stack "${o.stack}": there is no Pulumi.${o.stack}.yaml; stacks: ${stackNames().join(", ")}`);
    log(`rendering stack ${o.stack} with the real program under Pulumi mocks`);
    const overrides = { ...(o.overrides ?? {}), ...(o.scalingStrategy ? strategyOverride(o.stack, o.scalingStrategy, o.workload) : {}) };
    const target = scalingTarget(await renderStack(o.stack, overrides), o.workload);
    const messages = o.messages ?? Math.min(target.loadTest?.messages ?? DEFAULT_MAX_MESSAGES, DEFAULT_MAX_MESSAGES);
    const workSeconds = o.workSeconds ?? (target.loadTest?.workMs ?? 0) / 1000;
    const timeScale = o.timeScale ?? timeScaleFor(target.pollingInterval);
    const notes = describe(o.stack, target, messages, workSeconds, timeScale);
    for (const n of notes) log(n);

    let azurite: Azurite | undefined;
    try {
        azurite = await startAzurite();
        const pod = mapPod(target.pod, azurite, timeScale, o.argsOverride);
        for (const n of pod.notes) log(n);
        const queueName = pod.env.KEDASCALE_QUEUE ?? target.trigger.queueName;
        const container = pod.env.KEDASCALE_RESULTS_CONTAINER ?? "results";
        const [{ QueueClient }, { ContainerClient }] = await Promise.all([import("@azure/storage-queue"), import("@azure/storage-blob")]);
        const queue = new QueueClient(azurite.connectionString, queueName);
        const poison = new QueueClient(azurite.connectionString, `${queueName}-poison`);
        await Promise.all([queue.create(), poison.create(), new ContainerClient(azurite.connectionString, container).create()]);

        const runId = `emu${Date.now().toString(36)}`;
        const cliEnv = { KEDASCALE_BROKER: "storageQueue", KEDASCALE_QUEUE: queueName, KEDASCALE_CONNECTION_STRING: azurite.connectionString, KEDASCALE_RESULTS_CONTAINER: container };
        const workMs = Math.round(workSeconds * 1000 * timeScale);
        const sendArgs = ["send", "--count", String(messages), "--run-id", runId, "--concurrency", "32", ...(workMs > 0 ? ["--work-ms", String(workMs)] : [])];
        const send = startWorker(sendArgs, cliEnv);
        const sent = await send.exit;
        if (sent.code !== 0) throw new Error(`send failed (exit ${sent.code ?? sent.signal}): ${send.tail.join("\n")}`);
        log(`sent ${messages} messages (run ${runId}, ${workMs} ms of work each in wall time); KEDA's loop starts now`);

        const startedAt = new Date().toISOString();
        const result = await runController({
            target,
            pod,
            messages,
            timeScale,
            podStartSeconds: o.podStartSeconds,
            maxPolls: o.maxPolls,
            maxWallSeconds: o.maxWallSeconds ?? 240,
            log,
            signal: o.signal,
            queue: {
                depth: async () => (await queue.getProperties()).approximateMessagesCount ?? 0,
                poisonDepth: async () => (await poison.getProperties()).approximateMessagesCount ?? 0,
            },
        });
        const verifyProc = startWorker(["verify", "--run-id", runId], cliEnv);
        await verifyProc.exit;
        const v = lastJson(verifyProc.stdout);
        if (!v || v.expected === undefined) throw new Error(`verify failed: ${verifyProc.tail.join("\n")}`);
        const queueDepthAtEnd = (await queue.getProperties()).approximateMessagesCount ?? 0;
        const poisonAtEnd = (await poison.getProperties()).approximateMessagesCount ?? 0;
        const report: EmulationReport = {
            stack: o.stack,
            workload: target.name,
            kind: target.kind,
            strategy: target.strategy,
            trigger: target.trigger,
            messages,
            timeScale,
            created: result.created,
            jobsPerMessage: Math.round((result.created / Math.max(1, messages)) * 100) / 100,
            drained: result.drained,
            ended: result.ended,
            polls: result.polls,
            queueDepthAtEnd,
            poisonAtEnd,
            leftRunning: result.leftRunning,
            strays: result.strays,
            peakRunning: result.peakRunning,
            jobs: result.jobs,
            verify: { expected: v.expected, found: v.found, missing: v.missing, duplicates: v.duplicates, ok: v.ok === true },
            failures: result.failures,
            timeline: {
                format: TIMELINE_FORMAT,
                source: "emulation",
                stack: o.stack,
                workload: { name: target.name, kind: target.kind },
                messages,
                startedAt,
                samples: result.samples,
                notes: [...notes, ...pod.notes, outcome(target, messages, result)],
            },
        };
        return report;
    } finally {
        await azurite?.stop();
    }
}

/** The stack file's workloads with one ScaledJob's scalingStrategy changed: a whole-key override, as `pulumi config set`. */
export function strategyOverride(stack: string, strategy: ScalingStrategy, workload?: string): Record<string, unknown> {
    const workloads = (readStackFile(stack)["kedascale:workloads"] ?? []) as { name: string; kind: string; job?: Record<string, unknown> }[];
    const jobs = workloads.filter((w) => w.kind === "job" && (workload === undefined || w.name === workload));
    if (jobs.length === 0) throw new Error(`stack ${stack} has no ScaledJob workload${workload ? ` named "${workload}"` : ""} whose scalingStrategy could be set`);
    const pick = jobs[0].name;
    return { "kedascale:workloads": workloads.map((w) => (w.name === pick ? { ...w, job: { ...(w.job ?? {}), scalingStrategy: strategy } } : w)) };
}

/** Lines saying what this run is and is not, for the console and the timeline's notes. */
function describe(stack: string, w: ScalingTarget, messages: number, workSeconds: number, timeScale: number): string[] {
    const f = (s: number) => `${Math.round(s * timeScale * 100) / 100} s`;
    const kedaObject = w.kind === "job" ? "ScaledJob" : "ScaledObject";
    const lines = [
        `EMULATION of KEDA's formulas (kedacore/keda v2.20.2) over real worker processes on a local Azurite — not of the Kubernetes scheduler, the kubelet or the cluster autoscaler: no nodes, no image pulls, no API throttling; pods start when created`,
        `${stack}: ${kedaObject} ${w.name}, ${w.trigger.type} trigger target ${w.trigger.target}, activation ${w.trigger.activation}, min ${w.minReplicaCount}, max ${w.maxReplicaCount}` +
            (w.kind === "job" ? `, scalingStrategy ${w.strategy}, backoffLimit ${w.backoffLimit}` : `, cooldownPeriod ${w.cooldownPeriod} s, HPA ${w.hpaBehavior ? `behavior ${JSON.stringify(w.hpaBehavior)}` : "without behavior (at most max(2 × replicas, 4) up per sync, 300 s scale-down window)"}`),
        `time scale 1/${Math.round(1 / timeScale)}: pollingInterval ${w.pollingInterval} s runs every ${f(w.pollingInterval)}` +
            (w.kind === "deployment" ? `, cooldownPeriod ${w.cooldownPeriod} s in ${f(w.cooldownPeriod)}, the HPA's 15 s sync in ${f(15)}` : "") +
            `, ${workSeconds} s of work per message in ${f(workSeconds)}; times in the samples are the stack's seconds (wall time × ${Math.round(1 / timeScale)})`,
        `burst scaled down to ${messages} messages` + (w.loadTest ? ` (the stack's load template sends ${w.loadTest.messages})` : ""),
    ];
    if (w.trigger.type === "azure-servicebus")
        lines.push(`the stack's queue is Service Bus; emulated on a Storage queue: both scalers count messages being worked on (activeMessageCount includes locked messages, approximateMessagesCount invisible ones: FACTS §9)`);
    return lines;
}

function outcome(w: ScalingTarget, messages: number, r: ControllerResult): string {
    return w.kind === "job"
        ? `${r.created} Jobs for ${messages} messages (${(r.created / Math.max(1, messages)).toFixed(2)} per message), ${r.polls} polls, ${r.drained ? "drained" : `not drained (${r.ended})`}`
        : `${r.created} replica pods started for ${messages} messages, peak ${r.peakRunning} replicas, ${r.polls} polls, ${r.drained ? "drained and back to min" : `not drained (${r.ended})`}`;
}
