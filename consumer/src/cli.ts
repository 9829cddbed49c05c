#!/usr/bin/env node
/**
 * kedascale-worker: `work` (queue worker), `send` (load generator), `verify` (results reconciliation).
 *
 * Streams: logs and errors are JSON lines on stderr; the one JSON summary of `send`, `verify` and `work` is the last
 * line on stdout. `send` logs its run id first (stderr) and the matching verify command last (stderr).
 * Exit codes: 0 done; 1 failed (the error line says what and how to fix it); 130 `send` stopped by Ctrl-C.
 */
// First: SIGTERM/SIGINT handlers before any other module loads (a pod can be stopped while it starts).
import "./earlySignals";
import { randomBytes } from "node:crypto";
import { basename, relative } from "node:path";
import { Command } from "commander";
import { version } from "../package.json";
import { connectBroker, connectResults, type ConnectionOptions } from "./connect";
import { CODE_CACHE_REPORT, type CodeCacheReport } from "./codeCache";
import { CliError, errorFields, explain } from "./errors";
import { noopHandler, resultWritingHandler, type Handler } from "./handler";
import { startHealthServer } from "./health";
import { log, setQuiet } from "./log";
import { FLAGS, addFlags, flagName, helpTable, keyOf, resolveFlags, type CommandName, type ResolvedFlags } from "./options";
import { approximateDepth, preflight, type Need } from "./preflight";
import { runtimeFlagProblems, runtimeHandler } from "./runtime/flags";
import { isRuntimeHandler, type RuntimeHandler } from "./runtime/types";
import { waitUntilReady } from "./startupWait";
import { startProgress } from "./progress";
import { claimSignals } from "./signals";
import { SendFailed, finishManifest, sendLoad, writeManifest, type SendSummary } from "./send";
import { ManifestMissing, verifyRun } from "./verify";
import { Worker } from "./worker";

/** Flags merged with their KEDASCALE_* variables; every problem reported at once, as a usage error. */
function flags(cmd: Command, command: CommandName): ResolvedFlags {
    const r = resolveFlags(cmd, command);
    if ("errors" in r) return cmd.error(r.errors.join("; "));
    const f = r.values;
    const problems: string[] = [];
    // A setting that would have no effect is an error, not a silent surprise.
    if (f.broker === "serviceBus" && f.storageAccount) problems.push("--storage-account (KEDASCALE_STORAGE_ACCOUNT) has no effect with --broker serviceBus: use --servicebus-namespace, and --results-account for results");
    if (f.broker === "storageQueue" && f.servicebusNamespace) problems.push("--servicebus-namespace (KEDASCALE_SERVICEBUS_NAMESPACE) has no effect with --broker storageQueue: set --broker serviceBus, or drop it");
    if (!f.connectionString && !(f.broker === "serviceBus" ? f.servicebusNamespace : f.storageAccount)) {
        problems.push(
            f.broker === "serviceBus"
                ? "no Service Bus to connect to: set --servicebus-namespace (KEDASCALE_SERVICEBUS_NAMESPACE) to use your Entra identity, or --connection-string (KEDASCALE_CONNECTION_STRING)"
                : "no storage account to connect to: set --storage-account (KEDASCALE_STORAGE_ACCOUNT) to use your Entra identity, or --connection-string (KEDASCALE_CONNECTION_STRING); for a local Azurite run `npm run demo`",
        );
    }
    if (problems.length) cmd.error(problems.join("; "));
    return r;
}

/** Parsed flags → the typed options connect.ts takes. */
function connection(f: Record<string, any>): ConnectionOptions {
    return {
        broker: f.broker,
        queue: f.queue,
        connectionString: f.connectionString,
        poisonConnectionString: f.poisonConnectionString,
        storageAccount: f.storageAccount,
        serviceBusNamespace: f.servicebusNamespace,
        resultsConnectionString: f.resultsConnectionString,
        resultsAccount: f.resultsAccount,
        resultsContainer: f.resultsContainer,
        lockDurationMs: f.lockDurationMs,
        visibilityTimeoutSeconds: f.visibilityTimeout,
        maxDeliveryCount: f.maxDeliveryCount,
    };
}

/** Results are needed but nowhere to be found: name the flags (Service Bus has no storage account to fall back on). */
function requireResults(cmd: Command, o: ConnectionOptions, why: string): void {
    const where = o.resultsConnectionString ?? o.resultsAccount ?? (o.broker === "storageQueue" ? (o.connectionString ?? o.storageAccount) : undefined);
    if (!where) cmd.error(`${why} needs the results container's storage account: set --results-account (KEDASCALE_RESULTS_ACCOUNT) or --results-connection-string (KEDASCALE_RESULTS_CONNECTION_STRING)`);
}

const note = (msg: string, fields: Record<string, unknown>) => log.info(msg, fields);

/** How this program was started, for commands we print back: `node consumer/dist/worker.cjs` or the bin name. */
function self(): string {
    const script = process.argv[1] ?? "";
    if (/\.c?[jt]s$/.test(basename(script))) return `node ${shellQuote(relative(process.cwd(), script) || script)}`;
    return "kedascale-worker";
}

function shellQuote(s: string): string {
    return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The verify command matching a send: the results flags that were given on the command line (variables carry over
 * by themselves); a secret is shown as a placeholder, never echoed.
 */
export function verifyCommand(f: ResolvedFlags, runId: string): string {
    const parts = [self(), "verify", "--run-id", shellQuote(runId)];
    for (const spec of FLAGS.filter((s) => s.commands.includes("verify") && ["--broker", "--connection-string", "--storage-account", "--results-connection-string", "--results-account", "--results-container"].includes(flagName(s)))) {
        const key = keyOf(spec);
        if (f.sources[key] !== "flag") continue;
        parts.push(flagName(spec), spec.secret ? `'<${flagName(spec).slice(2)}>'` : shellQuote(String(f.values[key])));
    }
    return parts.join(" ");
}

const program = new Command("kedascale-worker")
    .description("kedascale queue worker, load generator and verifier")
    .version(version, "-V, --version", "print the version")
    .configureOutput({
        // Usage errors as the same JSON lines as every other error, on stderr; commander's own text is kept as the message.
        outputError: (text, write) => write(JSON.stringify({ ts: new Date().toISOString(), level: "error", msg: text.replace(/^error: /, "").trim(), fix: "run with --help: every flag and its KEDASCALE_* variable are listed" }) + "\n"),
    })
    .addHelpText("after", "\n" + helpTable());

addFlags(program.command("work").description("receive and process messages").argument("[command...]", "--handler exec: the handler's command and arguments, after --"), "work").action(async (operands: string[], _o, cmd: Command) => {
    // Claimed before preflight's network calls: a SIGTERM while starting ends the process cleanly (exit 0, nothing
    // was received yet); once the worker exists, it stops gracefully.
    let worker: Worker | undefined;
    claimSignals((signal) => {
        if (!worker) {
            log.info("shutdown requested before the worker started: nothing in flight, exiting", { signal });
            process.exit(0);
        }
        log.info("shutdown requested", { signal, inFlight: worker.inFlight });
        worker.stop();
    });
    const r = flags(cmd, "work");
    const f = r.values;
    if (f.once && f.drain) cmd.error("--once and --drain exclude each other: --once takes one message (one Job per message), --drain empties the queue");
    const runtimeProblems = runtimeFlagProblems(r, operands);
    if (runtimeProblems.length) cmd.error(runtimeProblems.join("; "));
    setQuiet(Boolean(f.quiet));
    const conn = connection(f);
    if (f.handler === "results") requireResults(cmd, conn, "--handler results");
    const needs: Need[] = ["receive", "park", ...(f.handler === "results" ? (["writeResults"] as const) : [])];
    const mode = f.once ? "once" : f.drain ? "drain" : "continuous";
    // Up before the start-up check, so a pod waiting for its queue or role shows 503 (not ready) rather than nothing.
    const health = f.healthPort ? await startHealthServer(f.healthPort) : undefined;
    // A Deployment waits for what is not there yet; a Job within its receive budget (startupWait.ts, issue 23).
    let broker: Awaited<ReturnType<typeof connectBroker>>;
    let handler: Handler | RuntimeHandler;
    try {
        await waitUntilReady(conn, needs, { budgetMs: mode === "continuous" ? undefined : f.receiveRetryBudgetMs, backoffMaxMs: f.startupRetryMaxMs, logEveryMs: f.outageLogEveryMs, onProblem: (p) => health?.setProblem(p) }, note);
        broker = await connectBroker(conn);
        handler =
            f.handler === "http" || f.handler === "exec" ? await runtimeHandler(f, operands, mode) : f.handler === "noop" ? noopHandler : resultWritingHandler(await connectResults(conn), { maxWorkMs: f.maxWorkMs });
    } catch (e) {
        // A problem no wait can fix (a SAS without a permission, a bad key): the listening health server would keep the
        // process alive with /livez 200 forever; close it so the worker exits non-zero and the pod restarts, visibly.
        health?.close();
        throw e;
    }
    const w = new Worker({
        broker,
        handler,
        mode,
        inflight: f.once ? 1 : f.inflight,
        batchSize: f.batch,
        receiveWaitMs: f.waitMs,
        maxBodyBytes: f.maxBodyBytes,
        maxRenewMs: f.maxRenewMs,
        graceMs: f.graceMs,
        callTimeoutMs: f.callTimeoutMs,
        releaseBackoffMs: f.releaseBackoffMs,
        releaseBackoffMaxMs: f.releaseBackoffMaxMs,
        receiveRetryBudgetMs: f.receiveRetryBudgetMs,
        outageLogEveryMs: f.outageLogEveryMs,
    });
    worker = w;
    health?.setWorker(w);
    const cache = (globalThis as Record<symbol, CodeCacheReport | undefined>)[CODE_CACHE_REPORT];
    log.info("worker started", { broker: broker.kind, queue: f.queue, mode, handler: f.handler, inflight: f.once ? 1 : f.inflight, ...(cache ? { codeCache: { mode: cache.mode, accepted: cache.accepted, rejected: cache.rejected, invalid: cache.invalid, missing: cache.missing } } : {}) });
    if (cache?.rejected) log.warn("V8 rejected the code cache (a V8 flag in NODE_OPTIONS, or another Node than the image's): starting slower, working the same", { rejected: cache.rejected });
    if (cache?.invalid) log.warn("code cache files failed their integrity check (damaged, or of another build) and were not used: starting slower, working the same", { invalid: cache.invalid });
    // A long drain on a terminal shows how far it is (a Storage queue's depth is the total; Service Bus has none).
    const bar = mode === "drain" ? await startProgress("draining |{bar}| {value}/{total} done, {parked} parked, {rate} msg/s", (await approximateDepth(conn)) ?? 0) : undefined;
    const showProgress = () => bar?.update(w.stats.completed + w.stats.deadLettered, { parked: w.stats.deadLettered });
    const tick = bar ? setInterval(showProgress, 200) : undefined;
    try {
        const stats = await w.run();
        log.info("worker stopped", { ...stats });
        process.stdout.write(JSON.stringify({ queue: f.queue, mode, ...stats }) + "\n");
    } finally {
        clearInterval(tick);
        showProgress();
        bar?.stop();
        if (isRuntimeHandler(handler)) handler.close();
        await broker.close();
        health?.close();
    }
    // Nothing is left to do: exit now rather than when the event loop drains, which also tears the whole V8 heap down
    // and frees it page by page (~15 ms of a Job's life, measured, issue 15). Logs and the summary are already out:
    // writes to pipes and files are synchronous on Linux, and the code cache's exit handler still runs.
    process.exit();
});

addFlags(program.command("send").description("flood the queue with numbered messages; prints the run id first, the verify command last"), "send").action(async (_o, cmd: Command) => {
    const r = flags(cmd, "send");
    const f = r.values;
    const runId: string = f.runId ?? `run${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
    // First, before anything can fail or be interrupted: the id verify needs.
    log.info(`run ${runId}: sending ${f.count} messages to queue '${f.queue}'`, { runId, count: f.count, broker: f.broker, queue: f.queue });
    // From here on, Ctrl-C ends the run cleanly: before sending it leaves a manifest of 0, during it the true count.
    const stop = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
        if (stop.signal.aborted) {
            log.warn("stopped again: exiting now; the run's manifest may still say 'sending' (its count is the planned one)", { runId, signal });
            process.exit(130);
        }
        log.warn("stopping: finishing the sends in flight, then recording the true count (press Ctrl-C again to quit at once)", { runId, signal });
        stop.abort();
    };
    claimSignals(onSignal);
    const conn = connection(f);
    if (f.manifest) requireResults(cmd, conn, "send (its run manifest; or pass --no-manifest)");
    await preflight(conn, ["send", ...(f.manifest ? (["writeResults"] as const) : [])], note);
    const results = f.manifest ? await connectResults(conn) : undefined;
    if (results && (await writeManifest(results, runId, f.count)) === "alreadyExists") {
        throw new CliError(`run id '${runId}' is already used in results container '${f.resultsContainer}'`, "pick another --run-id (KEDASCALE_RUN_ID), or omit it for a random one", { runId });
    }
    const broker = await connectBroker(conn);
    const bar = await startProgress("sending |{bar}| {value}/{total} {rate} msg/s ETA {eta}s", f.count);
    let summary: SendSummary;
    let failure: unknown;
    try {
        summary = await sendLoad(broker, { count: f.count, concurrency: f.concurrency, size: f.size, rate: f.rate, runId, workMs: f.workMs, batchSize: f.batch, signal: stop.signal }, (sent) => bar.update(sent));
    } catch (e) {
        if (!(e instanceof SendFailed)) throw e;
        summary = e.summary;
        failure = e.error;
    } finally {
        bar.stop();
        await broker.close();
    }
    const status = failure ? "failed" : summary.interrupted ? "interrupted" : "complete";
    if (results) await finishManifest(results, runId, f.count, summary.sent, status);
    const verify = f.manifest ? verifyCommand(r, runId) : undefined;
    process.stdout.write(JSON.stringify({ ...summary, planned: f.count, status, ...(verify ? { verify } : {}) }) + "\n");
    if (failure) {
        const e = explain(failure);
        log.error(`send failed after ${summary.sent} of ${f.count} messages: ${e.message}`, { ...errorFields(e), runId, sent: summary.sent });
        process.exitCode = 1;
    } else if (summary.interrupted) {
        process.exitCode = 130;
    }
    // Last: what to run next.
    if (verify) log.info(`check the results with: ${verify}`, { runId, command: verify });
});

addFlags(program.command("verify").description("reconcile results against a run: missing, duplicated, extra; exit 1 unless clean"), "verify").action(async (_o, cmd: Command) => {
    const f = flags(cmd, "verify").values;
    const conn = connection(f);
    requireResults(cmd, conn, "verify");
    await preflight(conn, ["readResults"], note);
    const store = await connectResults(conn);
    const bar = await startProgress("verifying |{bar}| {value}/{total} results", 0);
    let report;
    try {
        report = await verifyRun(store, f.runId, {
            onProgress: (checked, total) => {
                if (checked === 0) bar.setTotal(total);
                bar.update(checked);
            },
        });
    } catch (e) {
        if (e instanceof ManifestMissing) {
            throw new CliError(
                `run '${f.runId}' has no manifest (runs/${f.runId}.json) in results container '${f.resultsContainer}'`,
                "check --run-id (send printed it first) and --results-container; runs sent with --no-manifest cannot be verified",
                { runId: f.runId },
            );
        }
        throw e;
    } finally {
        bar.stop();
    }
    process.stdout.write(JSON.stringify(report) + "\n");
    if (report.sendStatus === "sending") log.warn("this run's send never finished (killed?): 'expected' is the planned count, so 'missing' may count messages never sent", { runId: f.runId });
    if (!report.ok) process.exitCode = 1;
});

program.parseAsync().catch((e) => {
    const err = explain(e);
    log.error(err.message, errorFields(err));
    process.exitCode = 1;
});
