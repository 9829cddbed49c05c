/**
 * `npm run demo`: the whole loop on a laptop with nothing but Node. Starts Azurite on free loopback ports in a temp
 * folder, creates the queue, its poison queue and the results container with the SDK (no `az`), sends N messages
 * with the real `send`, drains them with M real `work --drain` processes, reconciles with the real `verify`, prints a
 * summary (sent, done, duplicates, parked, time, rate) and removes everything — on success, failure or Ctrl-C.
 *
 * Streams follow the CLI's: progress and JSON logs on stderr, the JSON summary as the last line of stdout.
 * Exit 0 only if verify finds every message done once and nothing was parked.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { version } from "../package.json";
import { startAzurite, type Azurite } from "./azurite";
import { startDemoHandlers, type DemoHandler, type DemoHandlers } from "./demoHandlers";
import { explain } from "./errors";
import { interop } from "./interop";
import { log } from "./log";
import { addFlags, resolveFlags } from "./options";
import { startProgress } from "./progress";

/** The worker bundle next to this one (dist/demo.cjs → dist/worker.cjs), or the built one when run from source. */
function workerBundle(): string {
    const candidates = [join(__dirname, "worker.cjs"), join(__dirname, "..", "dist", "worker.cjs")];
    const found = candidates.find(existsSync);
    if (!found) throw new Error(`the worker bundle is not built (looked for ${candidates.join(", ")}): run npm run build --workspace consumer`);
    return found;
}

interface Child {
    readonly proc: ChildProcess;
    readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string[] }>;
}

/** Runs the worker CLI; its stdout (the JSON summary) is collected, its stderr passes through or is forwarded. */
function runWorkerCli(args: string[], env: Record<string, string>, stderr: "inherit" | "forward"): Child {
    const proc = spawn(process.execPath, [workerBundle(), ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", stderr === "inherit" ? "inherit" : "pipe"] });
    const stdout: string[] = [];
    let buffered = "";
    proc.stdout!.on("data", (c: Buffer) => {
        buffered += c.toString();
        const parts = buffered.split("\n");
        buffered = parts.pop()!;
        stdout.push(...parts);
    });
    // Forwarded line by line (not inherited): several workers sharing a terminal would each draw a progress bar.
    proc.stderr?.on("data", (c: Buffer) => process.stderr.write(c));
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string[] }>((resolve, reject) => {
        proc.once("error", reject);
        proc.once("close", (code, signal) => {
            if (buffered) stdout.push(buffered);
            resolve({ code, signal, stdout });
        });
    });
    return { proc, done };
}

function lastJson(lines: string[]): Record<string, any> | undefined {
    for (const l of [...lines].reverse()) {
        try {
            return JSON.parse(l) as Record<string, any>;
        } catch {
            // not JSON: keep looking
        }
    }
    return undefined;
}

export interface DemoSummary {
    sent: number;
    /** Messages with exactly one result (verify's found − duplicates). */
    done: number;
    /** Results written twice for one message (at-least-once made harmless: should be 0). */
    duplicates: number;
    /** Extra enqueued copies of a message (lost send replies, retried), as verify counts them: harmless, reported apart. */
    duplicateSends: number;
    /** Redeliveries that found their result already written and completed without writing again. */
    redelivered: number;
    /** Messages moved to the poison queue. */
    parked: number;
    missing: number;
    workers: number;
    /** The workers' handler: results (built in), or http / exec with the example handlers. */
    handler: "results" | DemoHandler;
    /** Drain time: workers spawned → last worker exited (includes start-up and the final 1 s empty-queue wait). */
    seconds: number;
    /** done / seconds. */
    messagesPerSecond: number;
    runId: string;
    ok: boolean;
}

async function demo(messages: number, workers: number, handler: "results" | DemoHandler, stopping: AbortSignal, track: (c: Child) => void, killAll: () => void): Promise<DemoSummary> {
    const queue = "demo-jobs";
    const container = "demo-results";
    let azurite: Azurite | undefined;
    const cleanup: (() => Promise<void>)[] = [];
    try {
        log.info("starting Azurite on free loopback ports in a temp folder");
        azurite = await startAzurite();
        const az = azurite;
        cleanup.push(() => az.stop());
        log.info("Azurite is listening", { queueEndpoint: az.queueEndpoint, blobEndpoint: az.blobEndpoint, location: az.location });
        if (stopping.aborted) throw new Error("interrupted");
        const [{ QueueClient }, { ContainerClient }] = await Promise.all([import("@azure/storage-queue").then(interop), import("@azure/storage-blob").then(interop)]);
        await Promise.all([new QueueClient(az.connectionString, queue).create(), new QueueClient(az.connectionString, `${queue}-poison`).create(), new ContainerClient(az.connectionString, container).create()]);
        log.info("created queue, poison queue and results container", { queue, poisonQueue: `${queue}-poison`, container });

        const env = { KEDASCALE_BROKER: "storageQueue", KEDASCALE_QUEUE: queue, KEDASCALE_CONNECTION_STRING: az.connectionString, KEDASCALE_RESULTS_CONTAINER: container };
        const runId = `demo${Date.now().toString(36)}`;

        const send = runWorkerCli(["send", "--count", String(messages), "--run-id", runId, "--concurrency", "32"], env, "inherit");
        track(send);
        const sendExit = await send.done;
        const sendSummary = lastJson(sendExit.stdout);
        if (stopping.aborted) throw new Error("interrupted");
        if (sendExit.code !== 0 || !sendSummary) throw new Error(`send failed (exit ${sendExit.code ?? sendExit.signal}); its error is above`);

        let runtime: DemoHandlers | undefined;
        if (handler !== "results") {
            runtime = await startDemoHandlers(handler, workers);
            const r = runtime;
            cleanup.push(() => r.stop());
            log.info(`workers hand each message to the example ${handler} handler`, { handler, ...(handler === "http" ? { handlers: workers } : {}) });
        }
        log.info(`draining with ${workers} worker processes`, { workers, runId, handler });
        const depthClient = new QueueClient(az.connectionString, queue);
        const bar = await startProgress("draining |{bar}| {value}/{total} messages, {rate} msg/s", sendSummary.sent);
        const started = Date.now();
        const pool = Array.from({ length: workers }, (_, i) => runWorkerCli(["work", "--drain", "--quiet", "--wait-ms", "1000", "--inflight", "16", ...(runtime?.args(i) ?? [])], { ...env, ...runtime?.env }, "forward"));
        pool.forEach(track);
        const poll = setInterval(() => {
            depthClient
                .getProperties()
                .then((p) => bar.update(Math.max(0, sendSummary.sent - (p.approximateMessagesCount ?? 0))))
                .catch(() => {});
        }, 250);
        const exits = await Promise.all(pool.map((w) => w.done)).finally(() => {
            clearInterval(poll);
            bar.stop();
        });
        const seconds = (Date.now() - started) / 1000;
        if (stopping.aborted) throw new Error("interrupted");
        const failed = exits.filter((e) => e.code !== 0);
        if (failed.length) throw new Error(`${failed.length} of ${workers} workers failed (exit ${failed.map((e) => e.code ?? e.signal).join(", ")}); their errors are above`);
        const stats = exits.map((e) => lastJson(e.stdout) ?? {});

        const report = runtime ? runtimeReport(runtime, runId, sendSummary.sent) : await verifyRun(runId, env, track);

        const parked = stats.reduce((n, s) => n + (s.deadLettered ?? 0), 0);
        const done = report.found - report.duplicates;
        return {
            sent: sendSummary.sent,
            done,
            duplicates: report.duplicates,
            duplicateSends: report.duplicateSends ?? 0,
            redelivered: stats.reduce((n, s) => n + (s.duplicates ?? 0), 0),
            parked,
            missing: report.missing,
            workers,
            handler,
            seconds,
            messagesPerSecond: Math.round((done / Math.max(seconds, 1e-3)) * 10) / 10,
            runId,
            ok: report.ok === true && parked === 0,
        };
    } finally {
        // Children first: a worker must not be left running against a stopped Azurite.
        killAll();
        for (const c of cleanup.reverse()) await c().catch(() => {});
    }
}

/** The built-in handler's results, reconciled by the real `verify`. */
async function verifyRun(runId: string, env: Record<string, string>, track: (c: Child) => void): Promise<Record<string, any>> {
    const verify = runWorkerCli(["verify", "--run-id", runId], env, "inherit");
    track(verify);
    const verifyExit = await verify.done;
    const report = lastJson(verifyExit.stdout);
    if (!report || report.expected === undefined) throw new Error(`verify failed (exit ${verifyExit.code ?? verifyExit.signal}); its error is above`);
    return report;
}

/**
 * The example handlers' results, reconciled like `verify` does: one result per message id `<runId>-<seq>` sent. A
 * handler stores by the broker's message id, so a message enqueued twice (a lost send reply) has two: a duplicate
 * send, reported apart; a result written twice for one enqueued copy cannot happen (create-only).
 */
function runtimeReport(h: DemoHandlers, runId: string, sent: number): Record<string, any> {
    const results = h.results();
    let found = 0;
    let duplicateSends = 0;
    for (let seq = 0; seq < sent; seq++) {
        const n = results.get(`${runId}-${seq}`) ?? 0;
        if (n > 0) found++;
        duplicateSends += Math.max(0, n - 1);
    }
    const extra = [...results.keys()].filter((id) => !id.startsWith(`${runId}-`)).length;
    return { expected: sent, found, missing: sent - found, duplicates: 0, duplicateSends, extra, ok: found === sent && extra === 0 };
}

const program = new Command("kedascale-demo")
    .description("run the whole loop locally: Azurite, queue, send, workers, verify, summary — then clean up")
    .version(version, "-V, --version", "print the version")
    .configureOutput({
        outputError: (text, write) => write(JSON.stringify({ ts: new Date().toISOString(), level: "error", msg: text.replace(/^error: /, "").trim(), fix: "run with --help" }) + "\n"),
    });
addFlags(program, "demo").action(async (_o, cmd: Command) => {
    const r = resolveFlags(cmd, "demo");
    if ("errors" in r) return cmd.error(r.errors.join("; "));
    const { messages, workers, handler } = r.values as { messages: number; workers: number; handler: "results" | DemoHandler };
    const stop = new AbortController();
    const children = new Set<ChildProcess>();
    const onSignal = (signal: NodeJS.Signals) => {
        log.warn("stopping the demo: ending its processes, stopping Azurite and removing its folder", { signal });
        stop.abort();
        for (const c of children) c.kill("SIGTERM");
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    const summary = await demo(
        messages,
        workers,
        handler,
        stop.signal,
        (c) => {
            children.add(c.proc);
            c.proc.once("exit", () => children.delete(c.proc));
        },
        () => children.forEach((c) => c.kill("SIGKILL")),
    );
    if (stop.signal.aborted) {
        process.exitCode = 130;
        return;
    }
    log.info(
        `demo ${summary.ok ? "passed" : "FAILED"}: sent ${summary.sent}, done ${summary.done}, duplicates ${summary.duplicates}, parked ${summary.parked}, missing ${summary.missing}, duplicate sends ${summary.duplicateSends} — ` +
            `${summary.workers} workers (${summary.handler} handler) drained it in ${summary.seconds.toFixed(1)} s (${summary.messagesPerSecond} msg/s, Azurite-bound)`,
    );
    process.stdout.write(JSON.stringify(summary) + "\n");
    if (!summary.ok) process.exitCode = 1;
});

program.parseAsync().catch((e) => {
    if ((e as Error).message === "interrupted") {
        process.exitCode = 130;
        return;
    }
    const err = explain(e);
    log.error(err.message, { fix: err.fix, ...err.fields });
    process.exitCode = 1;
});
