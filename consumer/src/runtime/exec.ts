/**
 * `--handler exec -- <command> <args…>`: one process per message (issue 22 point 3). The body goes to its stdin
 * unchanged, the CloudEvents attributes into its environment (`CE_ID`, `CE_SOURCE`, `CE_TYPE`, `CE_TIME`,
 * `CE_SPECVERSION`, `CE_DELIVERYCOUNT`, `CE_CONTENT_TYPE`: cloudEvent.ts), beside the worker's own environment minus
 * every `KEDASCALE_*` variable (the worker's settings, connection strings among them, are not the handler's). Its
 * exit decides:
 *
 * - 0: done, completed;
 * - 65 (EX_DATAERR in sysexits.h, "the input data was incorrect"): the message is bad, parked with the end of stderr;
 * - any other code, a signal, no exit within `--handler-timeout-ms`: released with the growing backoff.
 *
 * The process leads its own process group (`detached`), and the whole group is killed (SIGKILL to -pgid, kill(2)) on a
 * timeout, when the shutdown's grace runs out, after the handler exits (nothing it started outlives its message) and
 * when the worker exits: a shell script's children go with it. Its own group also keeps a terminal's Ctrl-C away
 * from it: the worker decides when it stops. Output goes to the worker's log as JSON lines (`handler output`, with
 * the message id and the stream), bounded per message and per line.
 * Loaded only by `--handler exec` (a dynamic import in cli.ts): a Job with a built-in handler never loads
 * node:child_process (consumer/test/startup.test.ts checks).
 */
import { spawn } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join, resolve as resolvePath } from "node:path";
import { CliError } from "../errors";
import { log } from "../log";
import { processEnv } from "./cloudEvent";
import { deliverToRuntime } from "./deliver";
import type { Cut, Delivery, RuntimeHandler, Verdict } from "./types";
import { StringDecoder } from "node:string_decoder";

/** The exit code that parks a message: EX_DATAERR (sysexits.h). */
export const PARK_EXIT_CODE = 65;
/** Output logged per message and stream; the rest is counted and dropped. */
export const OUTPUT_BYTES = 16 * 1024;
/** Longest line logged; longer ones are cut. */
const LINE_CHARS = 2048;
/** End of stderr kept as the reason of a failure or a parking. */
const TAIL_CHARS = 1024;
/** After the process exits, how long its output may still drain before the pipes are closed. */
const DRAIN_MS = 200;

export interface ExecHandlerOptions {
    command: string;
    args: readonly string[];
    timeoutMs: number;
}

/** Process groups still running: killed when the worker exits, whatever the reason. */
const live = new Set<number>();
let exitHook = false;
function killGroup(pid: number): void {
    try {
        process.kill(-pid, "SIGKILL");
    } catch {
        // already gone
    }
    live.delete(pid);
}

/** Where `command` resolves (a path, or a name on PATH), or why it cannot run. */
export function resolveCommand(command: string, env: NodeJS.ProcessEnv = process.env): { path: string } | { problem: string } {
    const executable = (p: string) => {
        try {
            accessSync(p, constants.X_OK);
            return statSync(p).isFile();
        } catch {
            return false;
        }
    };
    if (command.includes("/")) {
        const p = resolvePath(command);
        return executable(p) ? { path: p } : { problem: `${p} does not exist or is not an executable file` };
    }
    for (const dir of (env.PATH ?? "").split(delimiter).filter(Boolean)) {
        const p = join(dir, command);
        if (executable(p)) return { path: p };
    }
    return { problem: `'${command}' is not an executable on PATH (${env.PATH ?? ""})` };
}

/** The worker's environment minus its own settings, to which each delivery adds its CE_* variables. */
function handlerBaseEnv(): NodeJS.ProcessEnv {
    return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KEDASCALE_")));
}

export function execHandler(o: ExecHandlerOptions): RuntimeHandler {
    const base = handlerBaseEnv();
    if (!exitHook) {
        exitHook = true;
        process.on("exit", () => [...live].forEach(killGroup));
    }
    const handler: RuntimeHandler = {
        runtime: "exec",
        down: false,
        deliver: (d, cut) => runOnce(o, base, d, cut),
        process: (m) => deliverToRuntime(handler, m),
        async ready() {
            const r = resolveCommand(o.command);
            if ("problem" in r) throw new CliError(`the exec handler cannot run: ${r.problem}`, "put the command after `--` (e.g. `work --handler exec -- python3 handler.py`) as it runs in this image: an absolute path, or a name on PATH");
        },
        close() {
            [...live].forEach(killGroup);
        },
    };
    return handler;
}

/** Logs a stream line by line within the message's budget; keeps its tail. */
function outputSink(stream: "stdout" | "stderr", id: string) {
    let budget = OUTPUT_BYTES;
    let dropped = 0;
    let partial = "";
    let tail = "";
    // One decoder per stream: a UTF-8 character split across two chunks is decoded whole, once.
    const decoder = new StringDecoder("utf8");
    const emit = (line: string) => {
        if (!line) return;
        const bytes = Buffer.byteLength(line) + 1;
        if (bytes > budget) return void ((dropped += bytes), (budget = 0));
        budget -= bytes;
        log.info("handler output", { id, stream, line: line.length > LINE_CHARS ? `${line.slice(0, LINE_CHARS)}… (${line.length} chars)` : line });
    };
    return {
        data(chunk: Buffer) {
            const s = decoder.write(chunk);
            const text = partial + s;
            tail = (tail + s).slice(-TAIL_CHARS);
            const lines = text.split("\n");
            partial = lines.pop()!;
            if (partial.length > LINE_CHARS) (emit(partial), (partial = ""));
            lines.forEach(emit);
        },
        end() {
            emit(partial + decoder.end());
            partial = "";
            if (dropped) log.warn("handler output over the per-message limit was dropped", { id, stream, droppedBytes: dropped, limitBytes: OUTPUT_BYTES });
        },
        tail: () => tail.trim().split("\n").slice(-5).join(" | "),
    };
}

function runOnce(o: ExecHandlerOptions, base: NodeJS.ProcessEnv, d: Delivery, cut: Cut): Promise<Verdict> {
    return new Promise<Verdict>((resolve, reject) => {
        if (cut.aborted) return reject(new Error("shutdown: grace period over"));
        const child = spawn(o.command, o.args, { env: { ...base, ...processEnv(d) }, stdio: ["pipe", "pipe", "pipe"], detached: true });
        const pid = child.pid;
        if (pid !== undefined) live.add(pid);
        const out = outputSink("stdout", d.id);
        const err = outputSink("stderr", d.id);
        child.stdout.on("data", out.data);
        child.stderr.on("data", err.data);
        // A handler that does not read its stdin, or exits early, closes the pipe: not an error of ours.
        child.stdin.on("error", () => {});
        child.stdin.end(d.body);
        let timedOut = false;
        let settled = false;
        const timer = setTimeout(() => {
            timedOut = true;
            if (pid !== undefined) killGroup(pid);
        }, o.timeoutMs);
        let unsubscribe = () => {};
        const finish = (settle: () => void) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            unsubscribe();
            settle();
        };
        unsubscribe = cut.onAbort((reason) => {
            if (pid !== undefined) killGroup(pid);
            finish(() => reject(reason));
        });
        child.once("error", (e: NodeJS.ErrnoException) => {
            if (pid !== undefined) killGroup(pid);
            finish(() => resolve({ kind: "retry", error: `cannot run ${o.command}: ${e.message}` }));
        });
        child.once("exit", (code, sig) => {
            // Let the last output drain, then make sure nothing the handler started outlives its message.
            const drained = new Promise<void>((r) => {
                const t = setTimeout(r, DRAIN_MS);
                child.once("close", () => (clearTimeout(t), r()));
            });
            void drained.then(() => {
                if (pid !== undefined) killGroup(pid);
                child.stdout.destroy();
                child.stderr.destroy();
                out.end();
                err.end();
                const why = err.tail();
                finish(() => {
                    if (timedOut) return resolve({ kind: "retry", error: `the handler did not exit within ${o.timeoutMs} ms (process group killed)` });
                    if (code === 0) return resolve({ kind: "complete", detail: "exit 0" });
                    if (code === PARK_EXIT_CODE) return resolve({ kind: "park", description: `exit ${PARK_EXIT_CODE}${why ? `: ${why}` : ""}` });
                    resolve({ kind: "retry", error: `${code !== null ? `exit ${code}` : `killed by ${sig}`}${why ? `: ${why}` : ""}` });
                });
            });
        });
    });
}
