/** Runs the bundled CLI (the file the Dockerfile copies) as real child processes. */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

export const BUNDLE = join(__dirname, "..", "..", "dist", "worker.cjs");

export interface CliProcess {
    readonly proc: ChildProcess;
    readonly lines: string[];
    readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
    /** Parsed JSON log lines. */
    logs(): Record<string, any>[];
}

export function startCli(args: string[], env: Record<string, string | undefined> = {}): CliProcess {
    const proc = spawn(process.execPath, [BUNDLE, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    const lines: string[] = [];
    let buffered = "";
    proc.stdout!.on("data", (c: Buffer) => {
        buffered += c.toString();
        const parts = buffered.split("\n");
        buffered = parts.pop()!;
        lines.push(...parts);
    });
    let stderr = "";
    proc.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        proc.once("close", (code, signal) => {
            if (buffered) lines.push(buffered);
            if (stderr) lines.push(...stderr.split("\n").filter(Boolean).map((l) => JSON.stringify({ stderr: l })));
            resolve({ code, signal });
        }),
    );
    return {
        proc,
        lines,
        exit,
        logs: () => lines.flatMap((l) => {
            try {
                return [JSON.parse(l)];
            } catch {
                return [];
            }
        }),
    };
}

/** Runs to completion; rejects with the output if it exits non-zero when `expectCode` is 0. */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 60_000) {
    const p = startCli(args, env);
    const timer = setTimeout(() => p.proc.kill("SIGKILL"), timeoutMs);
    const result = await p.exit;
    clearTimeout(timer);
    return { ...result, lines: p.lines, logs: p.logs() };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, everyMs = 100): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await probe();
        if (value !== undefined && value !== false) return value;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(everyMs);
    }
}
