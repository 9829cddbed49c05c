/**
 * `npm run demo` does what README promises with nothing but Node: Azurite on free ports in a temp folder, queue,
 * poison queue and container created, N sent, M real workers drain, verify clean, a summary — and nothing left behind,
 * also after Ctrl-C.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUNDLE, waitFor } from "./support/processes";

const CONSUMER = join(__dirname, "..");
const DEMO = join(dirname(BUNDLE), "demo.cjs");

function run(command: string, args: string[]) {
    const proc = spawn(command, args, { cwd: CONSUMER, env: { ...process.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    proc.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
    proc.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    const exit = new Promise<number | null>((resolve) => proc.once("close", (code) => resolve(code)));
    const logs = () =>
        stderr.split("\n").flatMap((l) => {
            try {
                return [JSON.parse(l) as Record<string, any>];
            } catch {
                return [];
            }
        });
    return { proc, exit, logs, stdout: () => stdout, stderr: () => stderr };
}

/** True when something accepts connections on the endpoint's port. */
function listening(endpoint: string): Promise<boolean> {
    const { hostname, port } = new URL(endpoint);
    return new Promise((resolve) => {
        const socket = connect(Number(port), hostname);
        socket.once("connect", () => (socket.destroy(), resolve(true)));
        socket.once("error", () => resolve(false));
    });
}

describe("npm run demo", () => {
    it("end to end with small N: every message done once, none parked, summary printed, Azurite and its folder gone", async () => {
        const demo = run("npm", ["run", "demo", "--silent", "--", "--messages", "60", "--workers", "2"]);
        const code = await demo.exit;
        expect(code, demo.stderr()).toBe(0);
        const summary = JSON.parse(demo.stdout().trim().split("\n").at(-1)!) as Record<string, unknown>;
        expect(summary).toMatchObject({ sent: 60, done: 60, duplicates: 0, duplicateSends: 0, parked: 0, missing: 0, workers: 2, ok: true });
        expect(summary.seconds).toEqual(expect.any(Number));
        expect(summary.messagesPerSecond).toEqual(expect.any(Number));
        const started = demo.logs().find((l) => l.msg === "Azurite is listening")!;
        expect(existsSync(started.location)).toBe(false);
        expect(await listening(started.queueEndpoint)).toBe(false);
        expect(demo.logs().some((l) => l.msg.startsWith("demo passed: sent 60, done 60, duplicates 0, parked 0"))).toBe(true);
    }, 180_000);

    it.each(["http", "exec"])("--handler %s: real workers hand every message to the example handler (examples/handlers/), each done once", async (handler) => {
        const demo = run("npm", ["run", "demo", "--silent", "--", "--handler", handler, "--messages", "40", "--workers", "2"]);
        const code = await demo.exit;
        expect(code, demo.stderr()).toBe(0);
        const summary = JSON.parse(demo.stdout().trim().split("\n").at(-1)!) as Record<string, unknown>;
        expect(summary).toMatchObject({ sent: 40, done: 40, duplicates: 0, parked: 0, missing: 0, workers: 2, handler, ok: true });
        expect(demo.logs().some((l) => l.msg === `workers hand each message to the example ${handler} handler`)).toBe(true);
        const started = demo.logs().find((l) => l.msg === "Azurite is listening")!;
        expect(existsSync(started.location)).toBe(false);
    }, 180_000);

    it("Ctrl-C mid-drain: exits 130, workers and Azurite stopped, temp folder removed", async () => {
        const demo = run(process.execPath, [DEMO, "--messages", "1000", "--workers", "1"]);
        await waitFor("the drain to start", () => demo.logs().some((l) => l.msg?.startsWith("draining with")) || undefined, 120_000);
        demo.proc.kill("SIGINT");
        expect(await demo.exit).toBe(130);
        const started = demo.logs().find((l) => l.msg === "Azurite is listening")!;
        expect(existsSync(started.location)).toBe(false);
        expect(await listening(started.queueEndpoint)).toBe(false);
        expect(demo.stdout()).toBe("");
    }, 180_000);

    it("bad flags are refused with the flag and the accepted values", async () => {
        const demo = run(process.execPath, [DEMO, "--workers", "0"]);
        expect(await demo.exit).toBe(1);
        expect(demo.stderr()).toMatch(/option '--workers <n>' argument '0' is invalid\. must be an integer ≥ 1/);
    });
});
