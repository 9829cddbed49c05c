/**
 * Every flag of every command, in one table: name, environment variable, default and description. Commander's
 * options, the env-var merge, the `--help` table and the flag table in docs/worker.md are all generated from it, so they
 * cannot drift. Every flag has a KEDASCALE_* variable (how the pods set them: components/plan/workload.ts).
 */
import { InvalidArgumentError, Option, type Command } from "commander";
import { WORKER_DEFAULTS as W } from "./worker";

export type CommandName = "work" | "send" | "verify" | "demo";

export interface FlagSpec {
    /** Commander flag syntax: `--queue <name>`, `--once`, `--no-manifest`. */
    readonly flag: string;
    /** The KEDASCALE_* environment variable that sets it when the flag is absent. */
    readonly env: string;
    /** Value when neither flag nor variable is given; undefined = unset. */
    readonly default?: string | number | boolean;
    readonly description: string;
    readonly type: "string" | "int" | "bool";
    /** Smallest accepted value for `int`. */
    readonly min?: number;
    /** Accepted values for a `string`. */
    readonly choices?: readonly string[];
    /** Commands that take the flag. */
    readonly commands: readonly CommandName[];
    /** Holds a credential: never echoed back (for instance in the printed verify command). */
    readonly secret?: boolean;
    /** The command fails unless it is set (by flag or variable). */
    readonly required?: readonly CommandName[];
}

const RUNTIME: readonly CommandName[] = ["work", "send", "verify"];

export const FLAGS: readonly FlagSpec[] = [
    // Where the queue and results are. Every command takes the same connection flags, so one environment serves all.
    { flag: "--broker <kind>", env: "KEDASCALE_BROKER", default: "storageQueue", type: "string", choices: ["storageQueue", "serviceBus"], commands: RUNTIME, description: "queue service" },
    { flag: "--queue <name>", env: "KEDASCALE_QUEUE", default: "jobs", type: "string", commands: RUNTIME, description: "queue name (Storage also uses <queue>-poison)" },
    { flag: "--connection-string <s>", env: "KEDASCALE_CONNECTION_STRING", type: "string", secret: true, commands: RUNTIME, description: "broker connection string (Azurite, local runs, virtual nodes); default: Entra identity" },
    { flag: "--poison-connection-string <s>", env: "KEDASCALE_POISON_CONNECTION_STRING", type: "string", secret: true, commands: RUNTIME, description: "Storage: connection string for <queue>-poison when the queue's own cannot add to it (a per-queue SAS on virtual nodes); default: --connection-string" },
    { flag: "--storage-account <name>", env: "KEDASCALE_STORAGE_ACCOUNT", type: "string", commands: RUNTIME, description: "storage account of the queue (identity auth)" },
    { flag: "--servicebus-namespace <name>", env: "KEDASCALE_SERVICEBUS_NAMESPACE", type: "string", commands: RUNTIME, description: "Service Bus namespace, short name or FQDN (identity auth)" },
    { flag: "--results-connection-string <s>", env: "KEDASCALE_RESULTS_CONNECTION_STRING", type: "string", secret: true, commands: RUNTIME, description: "results storage connection string (local runs)" },
    { flag: "--results-account <name>", env: "KEDASCALE_RESULTS_ACCOUNT", type: "string", commands: RUNTIME, description: "storage account of the results container (identity auth)" },
    { flag: "--results-container <name>", env: "KEDASCALE_RESULTS_CONTAINER", default: "results", type: "string", commands: RUNTIME, description: "results blob container" },
    { flag: "--lock-duration-ms <ms>", env: "KEDASCALE_LOCK_DURATION_MS", default: 60_000, type: "int", min: 1000, commands: RUNTIME, description: "the Service Bus queue's lockDuration" },
    { flag: "--visibility-timeout <s>", env: "KEDASCALE_VISIBILITY_TIMEOUT", default: 30, type: "int", min: 1, commands: RUNTIME, description: "Storage invisibility window per receive or renewal, seconds" },
    { flag: "--max-delivery-count <n>", env: "KEDASCALE_MAX_DELIVERY_COUNT", default: 5, type: "int", min: 1, commands: RUNTIME, description: "deliveries before a message is parked (match the queue's)" },
    // work (defaults: WORKER_DEFAULTS in worker.ts, the one place they live)
    { flag: "--once", env: "KEDASCALE_ONCE", default: false, type: "bool", commands: ["work"], description: "process one message, then exit 0 (ScaledJob: one Job per message)" },
    { flag: "--drain", env: "KEDASCALE_DRAIN", default: false, type: "bool", commands: ["work"], description: "process until the queue is empty, then exit 0" },
    { flag: "--inflight <n>", env: "KEDASCALE_INFLIGHT", default: W.inflight, type: "int", min: 1, commands: ["work"], description: "messages processed at once" },
    { flag: "--batch <n>", env: "KEDASCALE_BATCH", default: W.batchSize, type: "int", min: 1, commands: ["work"], description: "messages per receive" },
    { flag: "--wait-ms <ms>", env: "KEDASCALE_WAIT_MS", default: W.receiveWaitMs, type: "int", min: 0, commands: ["work"], description: "receive wait; with --once/--drain, how long an empty queue is waited on" },
    { flag: "--grace-ms <ms>", env: "KEDASCALE_GRACE_MS", default: W.graceMs, type: "int", min: 0, commands: ["work"], description: "on SIGTERM, time in-flight work may finish before it is released" },
    { flag: "--max-body-bytes <n>", env: "KEDASCALE_MAX_BODY_BYTES", default: W.maxBodyBytes, type: "int", min: 1, commands: ["work"], description: "larger bodies are parked as Oversize" },
    { flag: "--max-work-ms <ms>", env: "KEDASCALE_MAX_WORK_MS", default: 300_000, type: "int", min: 0, commands: ["work"], description: "cap on a message's simulated workMs" },
    { flag: "--max-renew-ms <ms>", env: "KEDASCALE_MAX_RENEW_MS", default: W.maxRenewMs, type: "int", min: 1000, commands: ["work"], description: "stop renewing a message's lock after this long" },
    { flag: "--handler <name>", env: "KEDASCALE_HANDLER", default: "results", type: "string", choices: ["results", "noop", "http", "exec"], commands: ["work"], description: "what to do per message: results or noop (built in); http or exec (your handler, any language: docs/worker-runtime.md)" },
    // The runtime handlers (consumer/src/runtime/, docs/worker-runtime.md); refused with the built-in handlers (runtime/flags.ts).
    { flag: "--handler-port <port>", env: "KEDASCALE_HANDLER_PORT", default: 8080, type: "int", min: 1, commands: ["work"], description: "--handler http: the port your handler listens on at 127.0.0.1" },
    { flag: "--handler-path <path>", env: "KEDASCALE_HANDLER_PATH", default: "/", type: "string", commands: ["work"], description: "--handler http: the path each message is POSTed to" },
    { flag: "--handler-health-path <path>", env: "KEDASCALE_HANDLER_HEALTH_PATH", default: "/healthz", type: "string", commands: ["work"], description: "--handler http: answers 2xx once your handler takes messages; nothing is received before" },
    { flag: "--handler-timeout-ms <ms>", env: "KEDASCALE_HANDLER_TIMEOUT_MS", default: 300_000, type: "int", min: 1, commands: ["work"], description: "--handler http/exec: deadline of one message's request or process; then it is released for retry" },
    { flag: "--health-port <port>", env: "KEDASCALE_HEALTH_PORT", default: 0, type: "int", min: 0, commands: ["work"], description: "port for /healthz and /stats; 0 = off" },
    { flag: "--call-timeout-ms <ms>", env: "KEDASCALE_CALL_TIMEOUT_MS", default: W.callTimeoutMs, type: "int", min: 1000, commands: ["work"], description: "deadline of one broker or results call (a receive gets --wait-ms on top)" },
    { flag: "--release-backoff-ms <ms>", env: "KEDASCALE_RELEASE_BACKOFF_MS", default: W.releaseBackoffMs, type: "int", min: 0, commands: ["work"], description: "first retry delay of a failed message; doubles per delivery" },
    { flag: "--release-backoff-max-ms <ms>", env: "KEDASCALE_RELEASE_BACKOFF_MAX_MS", default: W.releaseBackoffMaxMs, type: "int", min: 0, commands: ["work"], description: "longest retry delay of a failed message" },
    { flag: "--receive-retry-budget-ms <ms>", env: "KEDASCALE_RECEIVE_RETRY_BUDGET_MS", default: W.receiveRetryBudgetMs, type: "int", min: 0, commands: ["work"], description: "with --once/--drain: how long the start-up check, then receives, may keep failing before exiting non-zero" },
    { flag: "--outage-log-every-ms <ms>", env: "KEDASCALE_OUTAGE_LOG_EVERY_MS", default: W.outageLogEveryMs, type: "int", min: 1000, commands: ["work"], description: "while the broker is unreachable, log a reminder this often" },
    { flag: "--startup-retry-max-ms <ms>", env: "KEDASCALE_STARTUP_RETRY_MAX_MS", default: 15_000, type: "int", min: 100, commands: ["work"], description: "longest pause between start-up checks while the queue, container or access is not there yet" },
    { flag: "--quiet", env: "KEDASCALE_QUIET", default: false, type: "bool", commands: ["work"], description: "log warnings and errors only" },
    // send
    { flag: "--count <n>", env: "KEDASCALE_COUNT", default: 1000, type: "int", min: 1, commands: ["send"], description: "messages to send" },
    { flag: "--concurrency <n>", env: "KEDASCALE_CONCURRENCY", default: 32, type: "int", min: 1, commands: ["send"], description: "sends in flight" },
    { flag: "--size <bytes>", env: "KEDASCALE_SIZE", default: 256, type: "int", min: 64, commands: ["send"], description: "body size" },
    { flag: "--rate <n>", env: "KEDASCALE_RATE", type: "int", min: 1, commands: ["send"], description: "cap, messages per second (default: uncapped)" },
    // Same flag as work's --batch, its own variable: a worker's KEDASCALE_BATCH must not change how a sender batches.
    { flag: "--batch <n>", env: "KEDASCALE_SEND_BATCH", default: 100, type: "int", min: 1, commands: ["send"], description: "messages per Service Bus batch" },
    { flag: "--work-ms <ms>", env: "KEDASCALE_WORK_MS", type: "int", min: 0, commands: ["send"], description: "simulated work per message" },
    { flag: "--no-manifest", env: "KEDASCALE_MANIFEST", default: true, type: "bool", commands: ["send"], description: "do not record the run in the results container (variable: false)" },
    // send and verify
    { flag: "--run-id <id>", env: "KEDASCALE_RUN_ID", type: "string", commands: ["send", "verify"], required: ["verify"], description: "send: id of this run (default: random); verify: the run to check" },
    // demo
    { flag: "--messages <n>", env: "KEDASCALE_DEMO_MESSAGES", default: 500, type: "int", min: 1, commands: ["demo"], description: "messages the demo sends" },
    { flag: "--workers <n>", env: "KEDASCALE_DEMO_WORKERS", default: 4, type: "int", min: 1, commands: ["demo"], description: "worker processes the demo runs" },
    { flag: "--handler <name>", env: "KEDASCALE_DEMO_HANDLER", default: "results", type: "string", choices: ["results", "http", "exec"], commands: ["demo"], description: "the workers' handler: results (built in), http or exec (the example handlers in examples/handlers/)" },
];

/** Commander's attribute name for a flag: `--results-account` → resultsAccount, `--no-manifest` → manifest. */
export function keyOf(spec: FlagSpec): string {
    return new Option(spec.flag).attributeName();
}

export function flagsFor(command: CommandName): FlagSpec[] {
    return FLAGS.filter((f) => f.commands.includes(command));
}

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off"]);

/** Parses one raw value (from a flag or a variable); throws a plain message saying what is accepted. */
export function parseValue(spec: FlagSpec, raw: string): string | number | boolean {
    if (spec.type === "int") {
        const n = Number(raw);
        if (raw.trim() === "" || !Number.isInteger(n) || n < (spec.min ?? 0)) throw new InvalidArgumentError(`must be an integer ≥ ${spec.min ?? 0}`);
        return n;
    }
    if (spec.type === "bool") {
        const v = raw.trim().toLowerCase();
        if (TRUE.has(v)) return true;
        if (FALSE.has(v)) return false;
        throw new InvalidArgumentError("must be true or false");
    }
    if (spec.choices && !spec.choices.includes(raw)) throw new InvalidArgumentError(`must be one of ${spec.choices.join(", ")}`);
    return raw;
}

/** Adds a command's flags to commander, with the same parser the variables go through. */
export function addFlags(cmd: Command, command: CommandName): Command {
    for (const spec of flagsFor(command)) {
        const option = new Option(spec.flag, spec.description);
        if (spec.type !== "bool") option.argParser((raw: string) => parseValue(spec, raw));
        // A negated boolean (`--no-manifest`) has its default (true) from commander; others default here.
        if (spec.default !== undefined && !spec.flag.startsWith("--no-")) option.default(spec.default);
        if (spec.choices) option.choices(spec.choices as string[]);
        cmd.addOption(option);
    }
    return cmd.addHelpText("after", "\n" + helpTable(command));
}

export interface ResolvedFlags {
    values: Record<string, any>;
    /** Where each value came from: flag, env (the variable's name) or default. */
    sources: Record<string, "flag" | "env" | "default">;
}

/**
 * Merges variables under flags: a flag given on the command line wins, else its KEDASCALE_* variable, else the
 * default. Problems (a bad variable, a missing required flag) come back as plain messages, all at once.
 */
export function resolveFlags(cmd: Command, command: CommandName, env: NodeJS.ProcessEnv = process.env): ResolvedFlags | { errors: string[] } {
    const values: Record<string, any> = {};
    const sources: ResolvedFlags["sources"] = {};
    const errors: string[] = [];
    const given = cmd.opts();
    for (const spec of flagsFor(command)) {
        const key = keyOf(spec);
        const raw = env[spec.env];
        if (cmd.getOptionValueSource(key) === "cli") {
            values[key] = given[key];
            sources[key] = "flag";
        } else if (raw !== undefined && raw !== "") {
            try {
                values[key] = parseValue(spec, raw);
                sources[key] = "env";
            } catch (e) {
                errors.push(`${spec.env}=${spec.secret ? "<hidden>" : JSON.stringify(raw)} is invalid: ${(e as Error).message} (it sets ${flagName(spec)})`);
            }
        } else {
            values[key] = spec.default;
            sources[key] = "default";
        }
        if (spec.required?.includes(command) && values[key] === undefined) errors.push(`${flagName(spec)} is required: set it or ${spec.env}`);
    }
    return errors.length ? { errors } : { values, sources };
}

export function flagName(spec: FlagSpec): string {
    return spec.flag.split(" ")[0];
}

function defaultText(spec: FlagSpec): string {
    if (spec.default === undefined) return "";
    if (spec.flag.startsWith("--no-")) return "true";
    return String(spec.default);
}

/** The plain-text table `--help` ends with: flag, variable, default. */
export function helpTable(command?: CommandName): string {
    const rows = (command ? flagsFor(command) : [...FLAGS]).map((f) => [f.flag, f.env, defaultText(f) || "-", command ? "" : f.commands.join(",")]);
    const head = ["flag", "environment variable", "default", command ? "" : "commands"];
    const width = (i: number) => Math.max(head[i].length, ...rows.map((r) => r[i].length));
    const line = (r: string[]) => r.map((c, i) => c.padEnd(width(i))).join("  ").trimEnd();
    const title = command ? `Flags of '${command}' and their environment variables (a flag wins over its variable):` : "Every flag and its environment variable (a flag wins over its variable):";
    return [title, "  " + line(head), ...rows.map((r) => "  " + line(r))].join("\n");
}

/** The flag table of docs/worker.md, markdown; test/cliHelp checks docs/worker.md holds exactly this between its markers. */
export function markdownTable(): string {
    const esc = (s: string) => s.replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    const rows = FLAGS.map((f) => `| \`${f.flag}\` | \`${f.env}\` | ${defaultText(f) ? `\`${defaultText(f)}\`` : ""} | ${f.commands.join(", ")} | ${esc(f.description)}${f.required?.length ? ` (required by ${f.required.join(", ")})` : ""} |`);
    return ["| flag | environment variable | default | commands | what |", "|---|---|---|---|---|", ...rows].join("\n");
}
