/**
 * `npm run demo -- --handler http|exec`: the demo with the example handlers (examples/handlers/, issue 22) in place of
 * the built-in results handler. Each worker gets what a pod would give it: `http`, its own Python handler process
 * (examples/handlers/http/handler.py, standard library only) on a free loopback port beside it; `exec`, the example
 * script (examples/handlers/exec/handler.sh) run once per message. Both store one result per message id under a
 * temporary RESULTS_DIR; verifying reads them back: every message sent has exactly one result, keyed by the broker's
 * message id, and the body it carried.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./azurite";

export type DemoHandler = "http" | "exec";

/** examples/handlers/ of the repository this demo runs from (consumer/dist/demo.cjs or consumer/src/demo.ts). */
function examplesDir(): string {
    return join(__dirname, "..", "..", "examples", "handlers");
}

export function exampleHandler(kind: DemoHandler): string {
    const file = join(examplesDir(), kind === "http" ? join("http", "handler.py") : join("exec", "handler.sh"));
    if (!existsSync(file)) throw new Error(`the example ${kind} handler is not at ${file}: run the demo from a checkout of the repository`);
    return file;
}

export interface DemoHandlers {
    /** Extra `work` arguments for worker i. */
    args(i: number): string[];
    /** Extra environment for the workers (and through them, for an exec handler). */
    readonly env: Record<string, string>;
    /** Results read back: app ids (from the bodies) → how many results carry each. */
    results(): Map<string, number>;
    stop(): Promise<void>;
}

/** Starts what `kind` needs for `workers` workers: for http, one handler process per worker (each worker waits for its health path). */
export async function startDemoHandlers(kind: DemoHandler, workers: number): Promise<DemoHandlers> {
    const script = exampleHandler(kind);
    const resultsDir = mkdtempSync(join(tmpdir(), `kedascale-demo-${kind}-`));
    const procs: ChildProcess[] = [];
    const ports: number[] = [];
    const stop = async () => {
        for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGTERM");
        await Promise.all(procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once("exit", r)) : undefined)));
        rmSync(resultsDir, { recursive: true, force: true });
    };
    try {
        if (kind === "http") {
            for (let i = 0; i < workers; i++) {
                const port = await freePort();
                ports.push(port);
                // Its JSON log lines are the handler's, not the demo's: kept out of the demo's output.
                const p = spawn("python3", [script], { env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", RESULTS_DIR: resultsDir }, stdio: ["ignore", "ignore", "inherit"] });
                procs.push(p);
                // A missing python3 is said at once, not as workers timing out on a health path nothing will answer.
                await new Promise<void>((resolve, reject) => {
                    p.once("spawn", resolve);
                    p.once("error", (e) => reject(new Error(`cannot start the example HTTP handler (python3 ${script}): ${e.message}; the http demo needs python3 on PATH`)));
                });
                p.on("error", () => {});
            }
        }
    } catch (e) {
        await stop();
        throw e;
    }
    return {
        args: (i) => (kind === "http" ? ["--handler", "http", "--handler-port", String(ports[i])] : ["--handler", "exec", "--", script]),
        env: { RESULTS_DIR: resultsDir },
        results() {
            const byId = new Map<string, number>();
            for (const f of readdirSync(resultsDir)) {
                // http: <ce-id>.json holding {id}; exec: <ce-id>.body holding the message itself.
                if (!(kind === "http" ? f.endsWith(".json") : f.endsWith(".body")) || f.startsWith(".")) continue;
                const id = String((JSON.parse(readFileSync(join(resultsDir, f), "utf8")) as { id?: unknown }).id);
                byId.set(id, (byId.get(id) ?? 0) + 1);
            }
            return byId;
        },
        stop,
    };
}

