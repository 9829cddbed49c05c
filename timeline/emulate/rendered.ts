/**
 * What the emulation reads of a stack: the ScaledJob or ScaledObject (and its Deployment, and the load template) the
 * REAL program renders from the REAL stack file, obtained by running index.ts under the tests' Pulumi mocks in a child
 * process (renderCli.ts). `scalingTarget` turns those objects into the numbers KEDA would read from them — pure, so a
 * field the emulation cannot honour is an error naming it rather than a silent default.
 */
import { WORKER_COMMAND } from "../../components/plan/virtualNodes";
import { spawn } from "node:child_process";
import { join } from "node:path";
import type { HpaBehaviorInput, HpaPolicy, HpaScalingRules } from "../model/hpa";
import type { ScalingStrategy } from "../model/keda";

export interface RenderedObject {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { name: string; namespace?: string; [k: string]: unknown };
    readonly spec: Record<string, any>;
}

export interface RenderedStack {
    readonly stack: string;
    /** The program's error (e.g. preflight refused the config); objects may then be partial. */
    readonly error?: string;
    readonly objects: readonly RenderedObject[];
}

const ROOT = join(__dirname, "..", "..");

/**
 * Renders a stack (Pulumi.yaml defaults + Pulumi.<stack>.yaml + `overrides`, whole keys as `pulumi config set` does)
 * with the real program under mocks. Takes a few seconds (it is a `pulumi preview` without the CLI).
 */
export function renderStack(stack: string, overrides: Record<string, unknown> = {}): Promise<RenderedStack> {
    // The program is deterministic for a given config: one render per (stack, overrides) per process.
    const key = `${stack}\u0000${JSON.stringify(overrides)}`;
    let rendered = renders.get(key);
    if (!rendered) {
        rendered = renderOnce(stack, overrides);
        renders.set(key, rendered);
        rendered.catch(() => renders.delete(key));
    }
    return rendered;
}

const renders = new Map<string, Promise<RenderedStack>>();

function renderOnce(stack: string, overrides: Record<string, unknown>): Promise<RenderedStack> {
    const tsx = join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
    const child = spawn(process.execPath, [tsx, join(__dirname, "renderCli.ts"), stack, JSON.stringify(overrides)], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    return new Promise((resolve, reject) => {
        child.once("error", reject);
        child.once("close", (code) => {
            const line = out.trim().split("\n").at(-1);
            if (code !== 0 || !line) return reject(new Error(`rendering stack ${stack} failed (exit ${code}):\n${err.trim()}`));
            const rendered = JSON.parse(line) as RenderedStack;
            if (rendered.error) return reject(new Error(`stack ${stack} does not deploy, so there is nothing to emulate:\n${rendered.error}`));
            resolve(rendered);
        });
    });
}

export interface EnvVar {
    readonly name: string;
    readonly value?: string;
    readonly valueFrom?: unknown;
}

/** A pod as the emulation starts it: the worker container's args and env, and what the Job/Deployment says about it. */
export interface PodTemplate {
    readonly args: readonly string[];
    readonly env: readonly EnvVar[];
    readonly terminationGracePeriodSeconds: number;
}

/** The inputs of KEDA's loop for one workload, read from its rendered objects. */
export interface ScalingTarget {
    readonly name: string;
    readonly kind: "job" | "deployment";
    readonly trigger: {
        readonly type: "azure-queue" | "azure-servicebus";
        readonly queueName: string;
        /** queueLength / messageCount: messages per Job or replica. */
        readonly target: number;
        /** activationQueueLength / activationMessageCount. */
        readonly activation: number;
    };
    readonly pollingInterval: number;
    readonly minReplicaCount: number;
    readonly maxReplicaCount: number;
    /** ScaledObject only: seconds after the last active poll before scaling back to min (or idleReplicaCount). */
    readonly cooldownPeriod: number;
    readonly idleReplicaCount?: number;
    /** ScaledObject: advanced.horizontalPodAutoscalerConfig.behavior as KEDA passes it to the HPA; undefined = none. */
    readonly hpaBehavior?: HpaBehaviorInput;
    /** ScaledJob only. */
    readonly strategy: ScalingStrategy;
    readonly backoffLimit: number;
    readonly activeDeadlineSeconds?: number;
    readonly pod: PodTemplate;
    /** From the load template (`<name>-load` CronJob) when the stack has one: the burst it sends. */
    readonly loadTest?: { readonly messages: number; readonly workMs?: number };
}

// KEDA's defaults when a field is absent (FACTS §9; keda.sh/docs/2.20 ScaledObject and ScaledJob specs).
const KEDA_DEFAULTS = { pollingInterval: 30, cooldownPeriod: 300, minReplicaCount: 0, maxReplicaCount: 100, target: 5, activation: 0 };

const num = (v: unknown, fallback: number, where: string, problems: string[]): number => {
    if (v === undefined || v === null) return fallback;
    const n = typeof v === "string" ? Number(v) : v;
    if (typeof n !== "number" || !Number.isFinite(n) || n < 0) {
        problems.push(`${where}: ${JSON.stringify(v)} is not a non-negative number`);
        return fallback;
    }
    return n;
};

/** Flag value from an args list: `--count 998` → "998". */
function argValue(args: readonly string[], flag: string): string | undefined {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
}

/**
 * The ScaledJob or ScaledObject named `workload` (default: the first one rendered) → ScalingTarget. Throws one error
 * listing every field the emulation cannot honour (another trigger type, several triggers, a queueLengthStrategy
 * other than `all`, scaling modifiers), each with its path.
 */
export function scalingTarget(rendered: RenderedStack, workload?: string): ScalingTarget {
    const scaled = rendered.objects.filter((o) => o.kind === "ScaledJob" || o.kind === "ScaledObject");
    if (scaled.length === 0) throw new Error(`stack ${rendered.stack} renders no ScaledJob or ScaledObject (its workloads may run on Container Apps): nothing for KEDA to scale`);
    const o = workload ? scaled.find((x) => x.metadata.name === workload) : scaled[0];
    if (!o) throw new Error(`stack ${rendered.stack} has no ScaledJob or ScaledObject named "${workload}"; it has ${scaled.map((x) => x.metadata.name).join(", ")}`);
    const where = `${o.kind}/${o.metadata.name}`;
    const problems: string[] = [];
    const s = o.spec;
    const triggers = (s.triggers ?? []) as { type: string; metadata: Record<string, string> }[];
    if (triggers.length !== 1) problems.push(`${where} spec.triggers: the emulation follows exactly one queue trigger, got ${triggers.length}`);
    const t = triggers[0] ?? { type: "", metadata: {} };
    if (t.type !== "azure-queue" && t.type !== "azure-servicebus") problems.push(`${where} spec.triggers[0].type: "${t.type}" is not a queue trigger the emulation knows (azure-queue, azure-servicebus)`);
    const md = t.metadata ?? {};
    const sb = t.type === "azure-servicebus";
    // queueLengthStrategy visibleonly peeks instead of counting: not what our stacks render, so not emulated.
    if (md.queueLengthStrategy !== undefined && md.queueLengthStrategy !== "all") problems.push(`${where} spec.triggers[0].metadata.queueLengthStrategy: "${md.queueLengthStrategy}" is not emulated (only "all", KEDA's default)`);
    if (s.advanced?.scalingModifiers) problems.push(`${where} spec.advanced.scalingModifiers: not emulated`);
    const template = o.kind === "ScaledJob" ? s.jobTargetRef?.template : rendered.objects.find((d) => d.kind === "Deployment" && d.metadata.name === s.scaleTargetRef?.name)?.spec?.template;
    if (!template) problems.push(o.kind === "ScaledJob" ? `${where} spec.jobTargetRef.template: missing` : `${where} spec.scaleTargetRef: no rendered Deployment named "${s.scaleTargetRef?.name}"`);
    const containers = (template?.spec?.containers ?? []) as { args?: string[]; command?: string[]; env?: EnvVar[] }[];
    if (template && containers.length !== 1) problems.push(`${where} pod template: expected the one worker container, got ${containers.length}`);
    // Virtual-node pods spell out the image's own entrypoint (ACI refuses args without a command): that is still the worker.
    const command = containers[0]?.command;
    if (command && JSON.stringify(command) !== JSON.stringify(WORKER_COMMAND)) problems.push(`${where} pod template: a container command replaces the worker's entrypoint; the emulation runs the worker bundle with the container's args`);
    const behavior = hpaBehaviorOf(s.advanced?.horizontalPodAutoscalerConfig?.behavior, `${where} spec.advanced.horizontalPodAutoscalerConfig.behavior`, problems);
    const target: ScalingTarget = {
        name: o.metadata.name,
        kind: o.kind === "ScaledJob" ? "job" : "deployment",
        trigger: {
            type: sb ? "azure-servicebus" : "azure-queue",
            queueName: md.queueName ?? "",
            target: num(sb ? md.messageCount : md.queueLength, KEDA_DEFAULTS.target, `${where} trigger ${sb ? "messageCount" : "queueLength"}`, problems),
            activation: num(sb ? md.activationMessageCount : md.activationQueueLength, KEDA_DEFAULTS.activation, `${where} trigger activation`, problems),
        },
        pollingInterval: num(s.pollingInterval, KEDA_DEFAULTS.pollingInterval, `${where} spec.pollingInterval`, problems),
        minReplicaCount: num(s.minReplicaCount, KEDA_DEFAULTS.minReplicaCount, `${where} spec.minReplicaCount`, problems),
        maxReplicaCount: num(s.maxReplicaCount, KEDA_DEFAULTS.maxReplicaCount, `${where} spec.maxReplicaCount`, problems),
        cooldownPeriod: num(s.cooldownPeriod, KEDA_DEFAULTS.cooldownPeriod, `${where} spec.cooldownPeriod`, problems),
        idleReplicaCount: s.idleReplicaCount,
        hpaBehavior: behavior,
        strategy: (s.scalingStrategy?.strategy ?? "default") as ScalingStrategy,
        // Kubernetes Job defaults: backoffLimit 6, no deadline.
        backoffLimit: num(s.jobTargetRef?.backoffLimit, 6, `${where} spec.jobTargetRef.backoffLimit`, problems),
        activeDeadlineSeconds: s.jobTargetRef?.activeDeadlineSeconds,
        pod: {
            args: containers[0]?.args ?? [],
            env: containers[0]?.env ?? [],
            terminationGracePeriodSeconds: num(template?.spec?.terminationGracePeriodSeconds, 30, `${where} terminationGracePeriodSeconds`, problems),
        },
        loadTest: loadTestOf(rendered, o.metadata.name),
    };
    if (!["default", "accurate", "eager"].includes(target.strategy)) problems.push(`${where} spec.scalingStrategy.strategy: "${target.strategy}" is not emulated (default, accurate, eager)`);
    if (target.trigger.target <= 0) problems.push(`${where} trigger target: must be > 0`);
    if (problems.length) throw new Error(`cannot emulate ${rendered.stack}'s ${where}:\n  ${problems.join("\n  ")}`);
    return target;
}

/**
 * The HPA behavior as the API reads it (autoscaling/v2 HPAScalingRules): each field optional, filled by hpa.ts
 * fillBehavior as the API server's defaulting does. A field the model does not know is an error naming it.
 */
function hpaBehaviorOf(b: any, where: string, problems: string[]): HpaBehaviorInput | undefined {
    if (b === undefined || b === null) return undefined;
    const rules = (r: any, path: string): Partial<HpaScalingRules> | undefined => {
        if (r === undefined || r === null) return undefined;
        for (const k of Object.keys(r)) if (!["stabilizationWindowSeconds", "selectPolicy", "policies", "tolerance"].includes(k)) problems.push(`${path}.${k}: not emulated`);
        if (r.selectPolicy !== undefined && !["Max", "Min", "Disabled"].includes(r.selectPolicy)) problems.push(`${path}.selectPolicy: "${r.selectPolicy}" is not Max, Min or Disabled`);
        const policies = (r.policies as any[] | undefined)?.map((p, i): HpaPolicy => {
            if (p.type !== "Pods" && p.type !== "Percent") problems.push(`${path}.policies[${i}].type: "${p.type}" is not Pods or Percent`);
            return { type: p.type, value: num(p.value, 0, `${path}.policies[${i}].value`, problems), periodSeconds: num(p.periodSeconds, 0, `${path}.policies[${i}].periodSeconds`, problems) };
        });
        return {
            ...(r.stabilizationWindowSeconds !== undefined ? { stabilizationWindowSeconds: num(r.stabilizationWindowSeconds, 0, `${path}.stabilizationWindowSeconds`, problems) } : {}),
            ...(r.selectPolicy !== undefined ? { selectPolicy: r.selectPolicy } : {}),
            ...(policies ? { policies } : {}),
            ...(r.tolerance !== undefined ? { tolerance: num(r.tolerance, 0, `${path}.tolerance`, problems) } : {}),
        };
    };
    const scaleUp = rules(b.scaleUp, `${where}.scaleUp`);
    const scaleDown = rules(b.scaleDown, `${where}.scaleDown`);
    return { ...(scaleUp ? { scaleUp } : {}), ...(scaleDown ? { scaleDown } : {}) };
}

/** The burst the stack's load template would send (`send --count N [--work-ms W]` in the `<name>-load` CronJob). */
function loadTestOf(rendered: RenderedStack, name: string): ScalingTarget["loadTest"] {
    const cron = rendered.objects.find((x) => x.kind === "CronJob" && x.metadata.name === `${name}-load`);
    const args = (cron?.spec?.jobTemplate?.spec?.template?.spec?.containers?.[0]?.args ?? []) as string[];
    const count = argValue(args, "--count");
    if (count === undefined) return undefined;
    const workMs = argValue(args, "--work-ms");
    return { messages: Number(count), ...(workMs !== undefined ? { workMs: Number(workMs) } : {}) };
}
