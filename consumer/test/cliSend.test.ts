/**
 * `send` for a person at a terminal: the run id comes first and the verify command last; Ctrl-C leaves a manifest
 * whose count is what the queue really got (so verify of the partial run is clean); progress bars are drawn on a
 * terminal (a real pseudo-terminal via util-linux `script`) and never in pipes.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { ContainerClient } from "@azure/storage-blob";
import { QueueClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type Azurite } from "./support/azurite";
import { BUNDLE, runCli, startCli, waitFor } from "./support/processes";

let azurite: Azurite;
beforeAll(async () => {
    azurite = await startAzurite();
}, 60_000);
afterAll(() => azurite?.stop());

async function resources() {
    const cs = azurite.connectionString;
    const queue = `q-${randomBytes(3).toString("hex")}`;
    const container = `r-${randomBytes(3).toString("hex")}`;
    await Promise.all([new QueueClient(cs, queue).create(), new QueueClient(cs, `${queue}-poison`).create(), new ContainerClient(cs, container).create()]);
    return {
        queue: new QueueClient(cs, queue),
        container: new ContainerClient(cs, container),
        env: { KEDASCALE_BROKER: "storageQueue", KEDASCALE_CONNECTION_STRING: cs, KEDASCALE_QUEUE: queue, KEDASCALE_RESULTS_CONTAINER: container },
    };
}

const depth = async (q: QueueClient) => (await q.getProperties()).approximateMessagesCount ?? 0;

describe("send", () => {
    it("Ctrl-C: stops, prints a partial summary, and the manifest's count is exactly what the queue got", async () => {
        const r = await resources();
        const planned = 100_000;
        // Rate-capped so it is surely mid-run when interrupted.
        const send = startCli(["send", "--count", String(planned), "--rate", "400", "--concurrency", "8", "--run-id", "ctrlc"], r.env);
        await waitFor("some messages on the queue", async () => ((await depth(r.queue)) >= 100 ? true : undefined), 30_000);
        send.proc.kill("SIGINT");
        const exit = await send.exit;
        expect(exit.code).toBe(130);

        const summary = JSON.parse(send.lines.at(-1)!) as { runId: string; sent: number; planned: number; status: string; verify: string; interrupted?: boolean };
        expect(summary).toMatchObject({ runId: "ctrlc", planned, status: "interrupted", interrupted: true });
        expect(summary.sent).toBeGreaterThanOrEqual(100);
        expect(summary.sent).toBeLessThan(planned);
        expect(await depth(r.queue)).toBe(summary.sent);

        const manifest = JSON.parse((await r.container.getBlockBlobClient("runs/ctrlc.json").downloadToBuffer()).toString()) as { count: number; planned: number; status: string };
        expect(manifest).toMatchObject({ count: summary.sent, planned, status: "interrupted" });

        // Run id first, verify command last (both on stderr, the summary alone on stdout).
        const notJson = send.errLines.filter((l) => {
            try {
                JSON.parse(l);
                return false;
            } catch {
                return true;
            }
        });
        expect(notJson, "stderr carries JSON lines only (a Node warning here is a defect to fix)").toEqual([]);
        const logs = send.errLines.map((l) => JSON.parse(l) as { msg: string; runId?: string; command?: string });
        expect(logs[0]).toMatchObject({ runId: "ctrlc", msg: expect.stringContaining("run ctrlc") });
        expect(logs.at(-1)!.msg).toBe(`check the results with: ${summary.verify}`);
        expect(summary.verify).toMatch(/ verify --run-id ctrlc$/);

        // The partial run is whole: drained and verified against its manifest, nothing missing or extra.
        const drain = await runCli(["work", "--drain", "--quiet", "--wait-ms", "1000", "--inflight", "32"], r.env, 120_000);
        expect(drain.code, drain.output).toBe(0);
        // 32 messages in flight each run a call under a deadline derived from the worker's shutdown signal; deadlines
        // follow it through one listener (broker/abort.ts), so no MaxListenersExceededWarning (it printed one before).
        expect(drain.output).not.toMatch(/MaxListenersExceededWarning/);
        const verify = await runCli(["verify", "--run-id", "ctrlc"], r.env);
        expect(verify.code, verify.lines.join("\n")).toBe(0);
        expect(JSON.parse(verify.lines.at(-1)!)).toMatchObject({ expected: summary.sent, found: summary.sent, missing: 0, duplicates: 0, extra: 0, sendStatus: "interrupted", planned, ok: true });
    }, 180_000);

    it("--rate sends each message exactly once (lanes waiting for their slot used to resend others' messages)", async () => {
        const r = await resources();
        const sent = await runCli(["send", "--count", "200", "--rate", "500", "--concurrency", "8", "--run-id", "paced"], r.env);
        expect(JSON.parse(sent.lines.at(-1)!)).toMatchObject({ sent: 200, status: "complete" });
        // Each lane may pause before each paced send; stderr stays JSON lines (no Node warning among them).
        expect(sent.errLines.filter((l) => !l.startsWith("{"))).toEqual([]);
        expect(await depth(r.queue)).toBe(200);
        expect((await runCli(["work", "--drain", "--quiet", "--wait-ms", "1000", "--inflight", "32"], r.env, 120_000)).code).toBe(0);
        const verify = await runCli(["verify", "--run-id", "paced"], r.env);
        expect(JSON.parse(verify.lines.at(-1)!)).toMatchObject({ expected: 200, found: 200, missing: 0, duplicates: 0, extra: 0, ok: true });
    }, 120_000);

    it("a reused run id is refused before anything is sent", async () => {
        const r = await resources();
        expect((await runCli(["send", "--count", "3", "--run-id", "twice"], r.env)).code).toBe(0);
        const again = await runCli(["send", "--count", "3", "--run-id", "twice"], r.env);
        expect(again.code).toBe(1);
        expect(again.output).toMatch(/run id 'twice' is already used in results container/);
        expect(await depth(r.queue)).toBe(3);
    });

    it("in a pipe, nothing but JSON lines: no progress bar on stderr, one summary on stdout", async () => {
        const r = await resources();
        const sent = await runCli(["send", "--count", "50", "--run-id", "piped"], r.env);
        expect(sent.code).toBe(0);
        expect(sent.lines).toHaveLength(1);
        for (const l of sent.errLines) expect(() => JSON.parse(l), l).not.toThrow();
        const verify = await runCli(["verify", "--run-id", "piped"], r.env);
        expect(verify.lines).toHaveLength(1);
        expect(verify.errLines.join("")).not.toMatch(/\r|verifying/);
    });
});

/** Runs the bundle under a pseudo-terminal (util-linux `script`), returning everything the terminal showed. */
function onTerminal(args: string[], env: Record<string, string>): Promise<{ code: number; screen: string }> {
    const command = [process.execPath, BUNDLE, ...args].join(" ");
    return new Promise((resolve) =>
        execFile("script", ["-qefc", command, "/dev/null"], { env: { ...process.env, ...env, COLUMNS: "120" }, timeout: 120_000 }, (error, stdout) =>
            resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, screen: stdout }),
        ),
    );
}

describe.skipIf(!process.platform.startsWith("linux"))("progress on a terminal", () => {
    it("send, work --drain and verify draw their bars on a TTY", async () => {
        const r = await resources();
        const send = await onTerminal(["send", "--count", "300", "--run-id", "tty"], r.env);
        expect(send.code).toBe(0);
        expect(send.screen).toMatch(/sending \|[█░]+\| 300\/300/);
        const drain = await onTerminal(["work", "--drain", "--wait-ms", "1000"], r.env);
        expect(drain.code).toBe(0);
        expect(drain.screen).toMatch(/draining \|[█░]+\| \d+\/300 done, 0 parked/);
        // While the bar shows, per-message info lines are held back.
        expect(drain.screen).not.toMatch(/"msg":"completed"/);
        const verify = await onTerminal(["verify", "--run-id", "tty"], r.env);
        expect(verify.code).toBe(0);
        expect(verify.screen).toMatch(/verifying \|[█░]+\| 300\/300 results/);
    }, 180_000);
});
