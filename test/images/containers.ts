/**
 * Running built images as the platform runs them, with podman: the image's own ENTRYPOINT, CMD and USER, in the host's
 * network namespace (Azurite listens on the host's loopback; two containers there share one network namespace, as a
 * pod's containers do), environment from `-e` as a pod's `env:`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { Engine } from "./engine";
import { RehearsalError, type Ran } from "./exec";

export interface ContainerRun extends Ran {
    /** stdout's lines / stderr's JSON lines, parsed where they parse. */
    lines: string[];
    logs: Record<string, any>[];
}

const parseLogs = (stderr: string) =>
    stderr
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .flatMap((l) => {
            try {
                return [JSON.parse(l) as Record<string, any>];
            } catch {
                return [];
            }
        });

const envArgs = (env: Record<string, string>) => Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]);

/**
 * The securityContext the program renders for a workload's containers (components/plan/workload.ts SECURE_CONTAINER
 * and teamSecurityContext): read-only root file system, every capability dropped, no privilege escalation; a team's
 * image also gets a writable /tmp (TEAM_TMP, an emptyDir). podman's own tmpfs mounts for --read-only are turned off,
 * so the worker has no more writable paths than in its pod.
 */
export type PodShape = "worker" | "team";
export const hardening = (shape: PodShape): string[] => [
    "--read-only",
    "--read-only-tmpfs=false",
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges",
    ...(shape === "team" ? ["--tmpfs", "/tmp:rw,mode=1777"] : []),
];

/** `podman run --rm` to completion; never throws for the container's own exit code (the caller checks it). */
export async function runContainer(engine: Engine, image: string, args: string[], o: { env?: Record<string, string>; entrypoint?: string; timeoutMs?: number; name?: string; shape?: PodShape } = {}): Promise<ContainerRun> {
    const flags = ["run", "--rm", "--network", "host", ...Engine.RUN_FLAGS, ...hardening(o.shape ?? "worker"), ...envArgs(o.env ?? {})];
    if (o.entrypoint) flags.push("--entrypoint", o.entrypoint);
    if (o.name) flags.push("--name", o.name);
    const r = await engine.podman([...flags, image, ...args], { allowFailure: true, timeoutMs: o.timeoutMs ?? 180_000 });
    // JSON log lines from either stream: the worker logs on stderr, the Python examples on stdout.
    return { ...r, lines: r.stdout.trim().split("\n").filter(Boolean), logs: parseLogs(`${r.stderr}\n${r.stdout}`) };
}

/** A long-running container (a Deployment's worker, a handler): started in the background, its output collected. */
export class Background {
    private out = "";
    private err = "";
    readonly exited: Promise<{ code: number | null; ms: number }>;
    private constructor(
        private readonly engine: Engine,
        readonly name: string,
        proc: ChildProcess,
    ) {
        proc.stdout!.on("data", (c) => (this.out += c));
        proc.stderr!.on("data", (c) => (this.err += c));
        this.exited = new Promise((resolve) => proc.on("close", (code) => resolve({ code, ms: 0 })));
    }

    static start(engine: Engine, name: string, image: string, args: string[], o: { env?: Record<string, string>; shape?: PodShape } = {}): Background {
        const argv = engine.podmanArgv(["run", "--rm", "--name", name, "--network", "host", ...Engine.RUN_FLAGS, ...hardening(o.shape ?? "worker"), ...envArgs(o.env ?? {}), image, ...args]);
        const proc = spawn("podman", argv, { stdio: ["ignore", "pipe", "pipe"], env: engine.env });
        return new Background(engine, name, proc);
    }

    get stdout(): string {
        return this.out;
    }
    get logs(): Record<string, any>[] {
        return parseLogs(`${this.err}\n${this.out}`);
    }
    get stderr(): string {
        return this.err;
    }

    /** Resolves when `test` passes on the output so far; fails after `timeoutMs` or if the container exits first. */
    async waitFor(what: string, test: () => boolean, timeoutMs = 60_000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        let exited = false;
        void this.exited.then(() => (exited = true));
        while (!test()) {
            if (exited) throw new RehearsalError(`container ${this.name}`, `exited before ${what}; its output:\n${(this.out + this.err).trim().split("\n").slice(-20).join("\n")}`);
            if (Date.now() > deadline) throw new RehearsalError(`container ${this.name}`, `no ${what} within ${timeoutMs} ms; its output:\n${(this.out + this.err).trim().split("\n").slice(-20).join("\n")}`);
            await new Promise((r) => setTimeout(r, 100));
        }
    }

    /** Sends `signal` to the container's main process (as the kubelet does at a pod's deletion). */
    async signal(signal: "TERM" | "KILL"): Promise<void> {
        await this.engine.podman(["kill", "--signal", signal, this.name], { allowFailure: true });
    }

    /** SIGTERM, then waits up to `graceMs` for the exit; past it, SIGKILL (and says so). */
    async stop(graceMs: number): Promise<{ code: number | null; ms: number; killed: boolean }> {
        const started = performance.now();
        await this.signal("TERM");
        const timer = new Promise<"late">((r) => setTimeout(() => r("late"), graceMs));
        const first = await Promise.race([this.exited, timer]);
        if (first === "late") {
            await this.signal("KILL");
            const e = await this.exited;
            return { code: e.code, ms: Math.round(performance.now() - started), killed: true };
        }
        return { code: first.code, ms: Math.round(performance.now() - started), killed: false };
    }
}

/** The one JSON summary a worker command prints last on stdout (consumer/src/cli.ts), if it printed one. */
export const summaryOf = (r: ContainerRun): Record<string, any> | undefined => {
    try {
        return JSON.parse(r.lines.at(-1) ?? "") as Record<string, any>;
    } catch {
        return undefined;
    }
};

/** How a container run ended, for a failed check: its exit, its last stdout line and its last log line. */
export const said = (r: ContainerRun): string =>
    `exit ${r.code}; stdout: ${r.lines.at(-1) ?? "(none)"}; last log: ${JSON.stringify(r.logs.at(-1) ?? r.stderr.trim().split("\n").at(-1) ?? "")}`;
