/**
 * The emulation's "pods": real worker processes (`node consumer/dist/worker.cjs <the container's args>`, the bundle the
 * image ships), started with the rendered container's env mapped onto a local Azurite. Pure mapping functions first,
 * then the process handle the controller drives.
 *
 * Mapping from the cluster to this machine (each listed in the run's notes):
 *   - the broker becomes the Azurite Storage queue: KEDASCALE_BROKER=storageQueue, KEDASCALE_CONNECTION_STRING=Azurite's;
 *     the identity-based account/namespace variables are dropped (no workload identity here), and any env from a
 *     Secret (valueFrom) that holds a connection string is replaced by Azurite's;
 *   - times are scaled: KEDASCALE_GRACE_MS, KEDASCALE_WAIT_MS (the worker's 5 s default when unset) — so a Job that
 *     finds the queue empty exits after the same share of a polling interval as it would in the cluster;
 *   - `--health-port N` becomes 0 (off): every pod has its own network namespace, these processes share one.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { EnvVar, PodTemplate } from "./rendered";

export const WORKER_BUNDLE = join(__dirname, "..", "..", "consumer", "dist", "worker.cjs");

/** The worker's receive wait when KEDASCALE_WAIT_MS is unset (consumer/src/options.ts `--wait-ms` default). */
export const WORKER_DEFAULT_WAIT_MS = 5000;

/** Variables that point a pod at Azure by identity or by a secret: replaced by Azurite's connection string. */
const AZURE_LOCATION_VARS = new Set([
    "KEDASCALE_SERVICEBUS_NAMESPACE",
    "KEDASCALE_STORAGE_ACCOUNT",
    "KEDASCALE_RESULTS_ACCOUNT",
    "KEDASCALE_CONNECTION_STRING",
    "KEDASCALE_RESULTS_CONNECTION_STRING",
]);
/** Millisecond variables scaled with the run (a pod's own clock runs at the emulation's speed). */
const SCALED_MS_VARS = new Set(["KEDASCALE_GRACE_MS", "KEDASCALE_WAIT_MS"]);

export interface PodMapping {
    readonly args: string[];
    readonly env: Record<string, string>;
    /** What was changed from the rendered pod, for the run's notes. */
    readonly notes: string[];
}

/**
 * The rendered container's args and env → a local process's. `timeScale` < 1 shortens every duration by that factor.
 * Throws naming a variable it cannot map (a valueFrom that is not a connection string).
 */
export function mapPod(pod: PodTemplate, azurite: { connectionString: string }, timeScale: number, argsOverride?: readonly string[]): PodMapping {
    const env: Record<string, string> = {};
    const notes: string[] = [];
    const problems: string[] = [];
    for (const v of pod.env as EnvVar[]) {
        if (AZURE_LOCATION_VARS.has(v.name)) continue;
        if (v.valueFrom !== undefined) {
            problems.push(`env ${v.name}: comes from ${JSON.stringify(v.valueFrom)}, which the emulation cannot resolve`);
            continue;
        }
        env[v.name] = v.value ?? "";
    }
    const was = env.KEDASCALE_BROKER;
    env.KEDASCALE_BROKER = "storageQueue";
    env.KEDASCALE_CONNECTION_STRING = azurite.connectionString;
    notes.push(`pods: broker ${was ?? "storageQueue"} → the Azurite Storage queue by connection string (no workload identity on this machine)`);
    env.KEDASCALE_WAIT_MS ??= String(WORKER_DEFAULT_WAIT_MS);
    for (const name of SCALED_MS_VARS) {
        if (env[name] === undefined) continue;
        const scaled = Math.max(0, Math.round(Number(env[name]) * timeScale));
        notes.push(`pods: ${name} ${env[name]} → ${scaled} (time scale)`);
        env[name] = String(scaled);
    }
    if (problems.length) throw new Error(`cannot map the pod template to a local process:\n  ${problems.join("\n  ")}`);
    let args = [...(argsOverride ?? pod.args)];
    if (argsOverride) notes.push(`pods: container args replaced by ${JSON.stringify(argsOverride)} (was ${JSON.stringify(pod.args)})`);
    const hp = args.indexOf("--health-port");
    if (hp >= 0 && args[hp + 1] !== "0") {
        notes.push(`pods: --health-port ${args[hp + 1]} → 0 (processes share one network namespace)`);
        args = [...args.slice(0, hp + 1), "0", ...args.slice(hp + 2)];
    }
    return { args, env, notes };
}

/** This process's environment without anything that would point a worker elsewhere or make it think it is in a pod. */
export function baseEnv(from: NodeJS.ProcessEnv = process.env): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(from)) {
        if (v === undefined || k.startsWith("KEDASCALE_") || k.startsWith("AZURE_") || k.startsWith("KUBERNETES_")) continue;
        out[k] = v;
    }
    return out;
}

export function requireBundle(): string {
    if (!existsSync(WORKER_BUNDLE)) throw new Error(`the worker bundle is not built (${WORKER_BUNDLE}): run npm run build --workspace consumer`);
    return WORKER_BUNDLE;
}

/** One worker process; `exit` resolves once it has exited (code or signal) and its pipes closed. */
export interface WorkerProcess {
    readonly proc: ChildProcess;
    readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
    /** Last stderr lines (its JSON logs), for reporting a failure. */
    readonly tail: string[];
    /** stdout lines (the command's JSON summary is the last). */
    readonly stdout: string[];
    alive(): boolean;
}

export function startWorker(args: readonly string[], env: Record<string, string>): WorkerProcess {
    const proc = spawn(process.execPath, [requireBundle(), ...args], { env: { ...baseEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
    const tail: string[] = [];
    const stdout: string[] = [];
    const lines = (into: string[], keep: number) => {
        let buf = "";
        return (c: Buffer) => {
            buf += c.toString();
            const parts = buf.split("\n");
            buf = parts.pop()!;
            into.push(...parts.filter(Boolean));
            if (into.length > keep) into.splice(0, into.length - keep);
        };
    };
    proc.stdout!.on("data", lines(stdout, 50));
    proc.stderr!.on("data", lines(tail, 20));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        proc.once("error", (e) => {
            tail.push(String(e));
            resolve({ code: 127, signal: null });
        });
        proc.once("close", (code, signal) => resolve({ code, signal }));
    });
    return { proc, exit, tail, stdout, alive: () => proc.exitCode === null && proc.signalCode === null };
}

/** The last JSON line of a process's stdout (the CLI's summary). */
export function lastJson(lines: readonly string[]): Record<string, any> | undefined {
    for (const l of [...lines].reverse()) {
        try {
            return JSON.parse(l) as Record<string, any>;
        } catch {
            // not JSON: keep looking
        }
    }
    return undefined;
}
