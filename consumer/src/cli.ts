#!/usr/bin/env node
/** kedascale-worker: `work` (queue worker), `send` (load generator), `verify` (results reconciliation). */
import { randomBytes } from "node:crypto";
import { Command, InvalidArgumentError, Option } from "commander";
import { connectBroker, connectResults, type ConnectionOptions } from "./connect";
import { noopHandler, resultWritingHandler } from "./handler";
import { startHealthServer } from "./health";
import { errorText, log, setQuiet } from "./log";
import { sendLoad, writeManifest } from "./send";
import { verifyRun } from "./verify";
import { Worker } from "./worker";

const int = (min: number) => (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be an integer ≥ ${min}`);
    return n;
};

/** Connection flags every subcommand shares; each also reads a KEDASCALE_* variable (how the pod sets them). */
function withConnection(cmd: Command): Command {
    return cmd
        .addOption(new Option("--broker <kind>", "queue service").choices(["storageQueue", "serviceBus"]).default("storageQueue").env("KEDASCALE_BROKER"))
        .addOption(new Option("--queue <name>", "queue name").default("jobs").env("KEDASCALE_QUEUE"))
        .addOption(new Option("--connection-string <s>", "broker connection string (local/Azurite/virtual nodes only; default: Entra identity)").env("KEDASCALE_CONNECTION_STRING"))
        .addOption(new Option("--storage-account <name>", "storage account of the queue (identity auth)").env("KEDASCALE_STORAGE_ACCOUNT"))
        .addOption(new Option("--servicebus-namespace <name>", "Service Bus namespace, short or FQDN (identity auth)").env("KEDASCALE_SERVICEBUS_NAMESPACE"))
        .addOption(new Option("--results-connection-string <s>", "results storage connection string (local only)").env("KEDASCALE_RESULTS_CONNECTION_STRING"))
        .addOption(new Option("--results-account <name>", "storage account of the results container (identity auth)").env("KEDASCALE_RESULTS_ACCOUNT"))
        .addOption(new Option("--results-container <name>", "results blob container").default("results").env("KEDASCALE_RESULTS_CONTAINER"))
        .addOption(new Option("--lock-duration-ms <ms>", "Service Bus queue lockDuration").argParser(int(1000)).default(60_000).env("KEDASCALE_LOCK_DURATION_MS"))
        .addOption(new Option("--visibility-timeout <s>", "Storage invisibility window per receive/renewal, seconds").argParser(int(1)).default(30).env("KEDASCALE_VISIBILITY_TIMEOUT"))
        .addOption(new Option("--max-delivery-count <n>", "deliveries before dead-lettering (match the queue's)").argParser(int(1)).default(5).env("KEDASCALE_MAX_DELIVERY_COUNT"));
}

/** Commander's parsed flags → the typed options connect.ts takes. */
function connection(o: Record<string, any>): ConnectionOptions {
    return {
        broker: o.broker,
        queue: o.queue,
        connectionString: o.connectionString,
        storageAccount: o.storageAccount,
        serviceBusNamespace: o.servicebusNamespace,
        resultsConnectionString: o.resultsConnectionString,
        resultsAccount: o.resultsAccount,
        resultsContainer: o.resultsContainer,
        lockDurationMs: o.lockDurationMs,
        visibilityTimeoutSeconds: o.visibilityTimeout,
        maxDeliveryCount: o.maxDeliveryCount,
    };
}

const program = new Command("kedascale-worker").description("kedascale queue worker, load generator and verifier").showHelpAfterError();

withConnection(program.command("work").description("receive and process messages"))
    .option("--once", "process one message, then exit 0 (ScaledJob: one Job per message)")
    .option("--drain", "process until the queue is empty, then exit 0")
    .addOption(new Option("--inflight <n>", "messages processed at once").argParser(int(1)).default(8).env("KEDASCALE_INFLIGHT"))
    .addOption(new Option("--batch <n>", "messages per receive").argParser(int(1)).default(32).env("KEDASCALE_BATCH"))
    .addOption(new Option("--wait-ms <ms>", "receive wait; in --once/--drain the wait on an empty queue").argParser(int(0)).default(5_000).env("KEDASCALE_WAIT_MS"))
    .addOption(new Option("--grace-ms <ms>", "on SIGTERM, time in-flight work may finish before release").argParser(int(0)).default(20_000).env("KEDASCALE_GRACE_MS"))
    .addOption(new Option("--max-body-bytes <n>", "larger bodies are dead-lettered as Oversize").argParser(int(1)).default(256 * 1024).env("KEDASCALE_MAX_BODY_BYTES"))
    .addOption(new Option("--max-work-ms <ms>", "cap on a message's simulated workMs").argParser(int(0)).default(300_000).env("KEDASCALE_MAX_WORK_MS"))
    .addOption(new Option("--max-renew-ms <ms>", "stop renewing a message's lock after this long").argParser(int(1000)).default(600_000).env("KEDASCALE_MAX_RENEW_MS"))
    .addOption(new Option("--handler <name>", "what to do per message").choices(["results", "noop"]).default("results").env("KEDASCALE_HANDLER"))
    .addOption(new Option("--health-port <port>", "port for /healthz and /stats; 0 = off").argParser(int(0)).default(0).env("KEDASCALE_HEALTH_PORT"))
    .option("--quiet", "log warnings and errors only")
    .action(async (o) => {
        if (o.once && o.drain) throw new InvalidArgumentError("--once and --drain exclude each other");
        setQuiet(Boolean(o.quiet));
        const broker = await connectBroker(connection(o));
        const handler = o.handler === "noop" ? noopHandler : resultWritingHandler(await connectResults(connection(o)), { maxWorkMs: o.maxWorkMs });
        const worker = new Worker({
            broker,
            handler,
            mode: o.once ? "once" : o.drain ? "drain" : "continuous",
            inflight: o.once ? 1 : o.inflight,
            batchSize: o.batch,
            receiveWaitMs: o.waitMs,
            maxBodyBytes: o.maxBodyBytes,
            maxRenewMs: o.maxRenewMs,
            graceMs: o.graceMs,
        });
        for (const signal of ["SIGTERM", "SIGINT"] as const) {
            process.once(signal, () => {
                log.info("shutdown requested", { signal, inFlight: worker.inFlight });
                worker.stop();
            });
        }
        const health = o.healthPort ? await startHealthServer(worker, o.healthPort) : undefined;
        log.info("worker started", { broker: broker.kind, queue: o.queue, mode: o.once ? "once" : o.drain ? "drain" : "continuous", inflight: o.inflight });
        const stats = await worker.run();
        await broker.close();
        health?.close();
        log.info("worker stopped", { ...stats });
    });

withConnection(program.command("send").description("flood the queue with numbered messages"))
    .addOption(new Option("--count <n>", "messages to send").argParser(int(1)).default(1000))
    .addOption(new Option("--concurrency <n>", "sends in flight").argParser(int(1)).default(32))
    .addOption(new Option("--size <bytes>", "body size").argParser(int(64)).default(256))
    .addOption(new Option("--rate <n>", "cap, messages per second").argParser(int(1)))
    .addOption(new Option("--batch <n>", "messages per Service Bus batch").argParser(int(1)).default(100))
    .addOption(new Option("--work-ms <ms>", "simulated work per message").argParser(int(0)))
    .option("--run-id <id>", "id of this run (default: random)")
    .option("--no-manifest", "do not record the run in the results container")
    .action(async (o) => {
        const runId: string = o.runId ?? `run${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
        const broker = await connectBroker(connection(o));
        let bar: import("cli-progress").SingleBar | undefined;
        if (process.stderr.isTTY) {
            const { SingleBar, Presets } = await import("cli-progress");
            bar = new SingleBar({ format: "sending |{bar}| {value}/{total} {rate} msg/s ETA {eta}s", stream: process.stderr }, Presets.shades_classic);
            bar.start(o.count, 0, { rate: 0 });
        }
        const started = Date.now();
        try {
            if (o.manifest) await writeManifest(await connectResults(connection(o)), runId, o.count);
            const summary = await sendLoad(broker, { count: o.count, concurrency: o.concurrency, size: o.size, rate: o.rate, runId, workMs: o.workMs, batchSize: o.batch }, (sent) =>
                bar?.update(sent, { rate: Math.round(sent / Math.max((Date.now() - started) / 1000, 1e-3)) }),
            );
            bar?.stop();
            process.stdout.write(JSON.stringify(summary) + "\n");
        } finally {
            bar?.stop();
            await broker.close();
        }
    });

withConnection(program.command("verify").description("reconcile results against a run: missing, duplicated, extra"))
    .requiredOption("--run-id <id>", "the run to check (printed by send)")
    .action(async (o) => {
        const report = await verifyRun(await connectResults(connection(o)), o.runId);
        process.stdout.write(JSON.stringify(report) + "\n");
        if (!report.ok) process.exitCode = 1;
    });

program.parseAsync().catch((e) => {
    log.error("fatal", { error: errorText(e) });
    process.exitCode = 1;
});
