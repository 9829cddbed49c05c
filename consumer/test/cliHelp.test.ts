/**
 * The CLI's self-description cannot drift: one table (src/options.ts) feeds commander, the variables, `--help` and
 * docs/worker.md; `--version` is package.json's; usage errors are plain sentences on stderr, never a minified class name.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FLAGS, flagName, flagsFor, markdownTable } from "../src/options";
import { runCli } from "./support/processes";

const FLAG_DOC = join(__dirname, "..", "..", "docs", "worker.md");
/** A port nothing listens on: gets a command past flag checks to a fast, offline failure. */
const DEAD_END = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=eA==;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;";

describe("flags and their variables: one table", () => {
    it("docs/worker.md holds exactly the generated flag table between its markers", () => {
        const readme = readFileSync(FLAG_DOC, "utf8");
        const section = /<!-- flags:start -->\n([\s\S]*?)\n<!-- flags:end -->/.exec(readme)?.[1];
        expect(section, "docs/worker.md needs <!-- flags:start --> … <!-- flags:end -->").toBeDefined();
        // On failure, paste markdownTable() (src/options.ts) between the markers.
        expect(section).toBe(markdownTable());
    });

    it("every flag has its own KEDASCALE_* variable within each command", () => {
        for (const command of ["work", "send", "verify", "demo"] as const) {
            const specs = flagsFor(command);
            expect(specs.every((f) => /^KEDASCALE_[A-Z0-9_]+$/.test(f.env)), command).toBe(true);
            expect(new Set(specs.map((f) => f.env)).size, command).toBe(specs.length);
            expect(new Set(specs.map(flagName)).size, command).toBe(specs.length);
        }
    });

    it("every KEDASCALE_* variable and --flag the Pulumi program gives the pods is one the CLI reads", () => {
        // components/plan/ and components/k8s/ render the pods' env and args; a renamed flag would make pods crash-loop.
        const components = join(__dirname, "..", "..", "components");
        const files = ["plan", "k8s"].flatMap((d) => readdirSync(join(components, d)).filter((f) => f.endsWith(".ts")).map((f) => join(components, d, f)));
        const source = files.map((f) => readFileSync(f, "utf8")).join("\n");
        // Flags: the files that build the worker's command lines (az and Azurite command lines elsewhere are not ours).
        const argsSource = files.filter((f) => /plan\/(workload|handler)\.ts$|k8s\/workloadArgs\.ts$/.test(f)).map((f) => readFileSync(f, "utf8")).join("\n");
        // Plus the entity contract every image gets, a team's own included, which the kedascale worker does not read
        // (components/plan/contract.ts, docs/bring-your-own-worker.md).
        const envs = new Set([...FLAGS.map((f) => f.env), "KEDASCALE_SERVICEBUS_FQDN", "KEDASCALE_TOPIC", "KEDASCALE_SUBSCRIPTION", "KEDASCALE_DEAD_LETTER_QUEUE", "KEDASCALE_POISON_QUEUE"]);
        const flags = new Set(FLAGS.map(flagName));
        const renderedEnvs = [...new Set(source.match(/KEDASCALE_[A-Z0-9_]+/g) ?? [])];
        const renderedFlags = [...new Set(argsSource.match(/"--[a-z-]+"/g) ?? [])].map((f) => f.slice(1, -1));
        expect(renderedEnvs.length).toBeGreaterThan(5);
        expect(renderedEnvs.filter((e) => !envs.has(e))).toEqual([]);
        expect(renderedFlags.filter((f) => !flags.has(f))).toEqual([]);
    });

    it("`--help` of each command lists each of its flags with its variable and default", async () => {
        for (const command of ["work", "send", "verify"] as const) {
            const r = await runCli([command, "--help"]);
            expect(r.code).toBe(0);
            const rows = r.lines.filter((l) => /^\s+--\S+/.test(l));
            for (const f of flagsFor(command)) {
                const row = rows.find((l) => l.trim().startsWith(f.flag + " ") && l.includes(f.env));
                expect(row, `${command}: ${f.flag} / ${f.env}`).toBeDefined();
            }
        }
        const top = await runCli(["--help"]);
        for (const f of FLAGS) expect(top.lines.join("\n"), f.env).toContain(f.env);
    });

    it("--version prints consumer/package.json's version and exits 0", async () => {
        const { version } = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as { version: string };
        const r = await runCli(["--version"]);
        expect(r.code).toBe(0);
        expect(r.lines).toEqual([version]);
    });
});

describe("usage errors", () => {
    it("a boolean variable reads true/false: KEDASCALE_ONCE=true with KEDASCALE_DRAIN=true is refused, =false is not", async () => {
        const both = await runCli(["work", "--connection-string", DEAD_END], { KEDASCALE_ONCE: "true", KEDASCALE_DRAIN: "1" });
        expect(both.code).toBe(1);
        expect(both.output).toMatch(/--once and --drain exclude each other/);
        // A receive budget of 0: the Job does not wait for the dead end to answer (issue 23), it reports it.
        const drainOnly = await runCli(["work", "--connection-string", DEAD_END, "--handler", "noop"], { KEDASCALE_ONCE: "false", KEDASCALE_DRAIN: "true", KEDASCALE_RECEIVE_RETRY_BUDGET_MS: "0" });
        expect(drainOnly.output).not.toMatch(/exclude each other/);
        expect(drainOnly.output).toMatch(/nothing is listening at http:\/\/127\.0\.0\.1:9/);
    });

    it("a bad variable names the variable, its value, what it sets and what is accepted; stdout stays empty", async () => {
        const r = await runCli(["send", "--connection-string", DEAD_END], { KEDASCALE_COUNT: "lots", KEDASCALE_BROKER: "kafka" });
        expect(r.code).toBe(1);
        expect(r.lines).toEqual([]);
        const error = r.logs.find((l) => l.level === "error");
        expect(error?.msg).toMatch(/KEDASCALE_COUNT="lots" is invalid: must be an integer ≥ 1 \(it sets --count\)/);
        expect(error?.msg).toMatch(/KEDASCALE_BROKER="kafka" is invalid: must be one of storageQueue, serviceBus/);
    });

    it("conflicting flags are one plain JSON error line on stderr, no class name (the old bundle printed 'FM: …')", async () => {
        const r = await runCli(["work", "--once", "--drain", "--connection-string", DEAD_END]);
        expect(r.code).toBe(1);
        expect(r.lines).toEqual([]);
        expect(r.errLines).toHaveLength(1);
        const line = JSON.parse(r.errLines[0]) as { level: string; msg: string; fix: string };
        expect(line).toMatchObject({ level: "error", msg: expect.stringMatching(/^--once and --drain exclude each other/) });
        expect(line.msg).not.toMatch(/^[A-Za-z]{1,3}: /);
    });

    it("no account, namespace or connection string: says which flag or variable to set", async () => {
        const env = { KEDASCALE_CONNECTION_STRING: undefined, KEDASCALE_STORAGE_ACCOUNT: undefined, KEDASCALE_SERVICEBUS_NAMESPACE: undefined };
        const storage = await runCli(["work"], env);
        expect(storage.code).toBe(1);
        expect(storage.output).toMatch(/set --storage-account \(KEDASCALE_STORAGE_ACCOUNT\).*or --connection-string/);
        const sb = await runCli(["send", "--broker", "serviceBus"], env);
        expect(sb.code).toBe(1);
        expect(sb.output).toMatch(/set --servicebus-namespace \(KEDASCALE_SERVICEBUS_NAMESPACE\)/);
    });

    it("a flag with no effect for the chosen broker is an error", async () => {
        const r = await runCli(["work", "--broker", "serviceBus", "--servicebus-namespace", "ns", "--storage-account", "acct"]);
        expect(r.code).toBe(1);
        expect(r.output).toMatch(/--storage-account \(KEDASCALE_STORAGE_ACCOUNT\) has no effect with --broker serviceBus/);
    });
});
