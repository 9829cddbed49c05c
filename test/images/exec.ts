/**
 * Child processes for the image rehearsal: every command bounded in time, its output kept, and a failure that says
 * which command, how it ended and the last lines it printed (a rehearsal failure must be readable from CI's log alone).
 */
import { spawn } from "node:child_process";

export interface Ran {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    ms: number;
}

export interface RunOptions {
    /** Kill the process (SIGKILL) past this. Default 10 minutes. */
    timeoutMs?: number;
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    input?: string;
    /** Do not throw on a non-zero exit: the caller judges it. */
    allowFailure?: boolean;
}

/** A step of the rehearsal failed: `what` names the step, `detail` says what was seen. */
export class RehearsalError extends Error {
    constructor(
        readonly what: string,
        readonly detail: string,
    ) {
        super(`${what}: ${detail}`);
    }
}

const tail = (s: string, lines = 25) => s.trimEnd().split("\n").slice(-lines).join("\n");

export function describeCommand(cmd: string, args: readonly string[]): string {
    return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}

export function run(cmd: string, args: readonly string[], o: RunOptions = {}): Promise<Ran> {
    const started = performance.now();
    const timeoutMs = o.timeoutMs ?? 600_000;
    return new Promise((resolve, reject) => {
        const p = spawn(cmd, args, { cwd: o.cwd, env: o.env ?? process.env, stdio: [o.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        let timedOut = false;
        const timer = setTimeout(() => ((timedOut = true), p.kill("SIGKILL")), timeoutMs);
        p.stdout!.on("data", (c) => (stdout += c));
        p.stderr!.on("data", (c) => (stderr += c));
        if (p.stdin) {
            // A process that exits without reading its input must not crash the rehearsal (EPIPE).
            p.stdin.on("error", () => {});
            p.stdin.end(o.input);
        }
        p.on("error", (e) => (clearTimeout(timer), reject(new RehearsalError(describeCommand(cmd, args), `could not start: ${e.message}`))));
        p.on("close", (code, signal) => {
            clearTimeout(timer);
            const r: Ran = { code, signal, stdout, stderr, ms: Math.round(performance.now() - started) };
            if (timedOut) return reject(new RehearsalError(describeCommand(cmd, args), `still running after ${timeoutMs} ms (killed); last output:\n${tail(stdout + stderr)}`));
            if (code !== 0 && !o.allowFailure) return reject(new RehearsalError(describeCommand(cmd, args), `exited ${code ?? signal}; last output:\n${tail(stderr || stdout)}`));
            resolve(r);
        });
    });
}

/** True when `name` is on PATH. */
export async function onPath(name: string): Promise<boolean> {
    return (await run("sh", ["-c", `command -v ${name}`], { allowFailure: true })).code === 0;
}
