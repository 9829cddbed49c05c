/** Runs the bundled CLI (the file the Dockerfile copies) as real child processes. */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

export const BUNDLE = join(__dirname, "..", "..", "dist", "worker.cjs");

export interface CliProcess {
    readonly proc: ChildProcess;
    /** stdout lines: the command's JSON summary (the CLI logs on stderr). */
    readonly lines: string[];
    /** stderr lines as they arrive: JSON log and error lines (and commander's help on usage errors). */
    readonly errLines: string[];
    readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
    /** Parsed JSON lines from both streams, live. */
    logs(): Record<string, any>[];
}

export function startCli(args: string[], env: Record<string, string | undefined> = {}, bundle = BUNDLE): CliProcess {
    const proc = spawn(process.execPath, [bundle, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    const lines: string[] = [];
    const errLines: string[] = [];
    const splitter = (into: string[]) => {
        let buffered = "";
        return {
            data: (c: Buffer) => {
                buffered += c.toString();
                const parts = buffered.split("\n");
                buffered = parts.pop()!;
                into.push(...parts);
            },
            end: () => buffered && into.push(buffered),
        };
    };
    const out = splitter(lines);
    const err = splitter(errLines);
    proc.stdout!.on("data", out.data);
    proc.stderr!.on("data", err.data);
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        proc.once("close", (code, signal) => {
            out.end();
            err.end();
            resolve({ code, signal });
        }),
    );
    return {
        proc,
        lines,
        errLines,
        exit,
        logs: () => [...errLines, ...lines].flatMap((l) => {
            try {
                return [JSON.parse(l)];
            } catch {
                return [];
            }
        }),
    };
}

/** Runs to completion; rejects with the output if it exits non-zero when `expectCode` is 0. */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 60_000, bundle = BUNDLE) {
    const p = startCli(args, env, bundle);
    const timer = setTimeout(() => p.proc.kill("SIGKILL"), timeoutMs);
    const result = await p.exit;
    clearTimeout(timer);
    return { ...result, lines: p.lines, errLines: p.errLines, output: [...p.lines, ...p.errLines].join("\n"), logs: p.logs() };
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
