/**
 * The example exec handler (handler.sh) run as the worker runs it: a real process per message, the body on stdin,
 * the environment the worker builds (consumer/src/runtime/cloudEvent.ts processEnv), the verdict from its exit code
 * (0 done, the worker's PARK_EXIT_CODE parks with the end of stderr, anything else retries). The worker's side is
 * tested in consumer/test.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, chmodSync, mkdirSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { processEnv } from "../../../consumer/src/runtime/cloudEvent";
import { PARK_EXIT_CODE } from "../../../consumer/src/runtime/exec";
import type { Delivery } from "../../../consumer/src/runtime/types";
import { run } from "../../support/python";

const HANDLER = join(__dirname, "handler.sh");
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
    const d = mkdtempSync(join(tmpdir(), "kedascale-exec-handler-"));
    dirs.push(d);
    return d;
}

function delivery(body: string | Buffer, over: Partial<Delivery> = {}): Delivery {
    return { id: "0b7c6a2e-5d1f-4f7e-9c3a-2f0e8d6b1a40", source: "https://acct.queue.core.windows.net/jobs", contentType: "application/octet-stream", deliveryCount: 1, body: Buffer.from(body), ...over };
}

/** One message, one process: as the worker spawns it (the script itself, by its shebang). */
function handle(d: Delivery, env: Record<string, string> = {}) {
    return run([], { command: HANDLER, input: d.body, env: { ...processEnv(d), ...env } });
}

describe("handlers/exec: one process per message, the exit code decides", () => {
    it("is an executable file (mode kept by git and by the image's COPY)", () => {
        expect(statSync(HANDLER).mode & 0o111).toBe(0o111);
        expect(readFileSync(HANDLER, "utf8").startsWith("#!/bin/sh\n")).toBe(true);
    });

    it("exit 0 after storing the body and its SHA-256 under the message id; a redelivery exits 0 without writing again", async () => {
        const dir = tempDir();
        const body = Buffer.from([0x00, 0x01, 0xff, 0x0a, 0x41]); // bytes, not text: passed through unchanged
        const d = delivery(body);
        const r = await handle(d, { RESULTS_DIR: dir });
        expect(r.code, r.stderr).toBe(0);
        const sha = createHash("sha256").update(body).digest("hex");
        expect(JSON.parse(r.stdout)).toMatchObject({ msg: "done", id: d.id, bytes: 5, sha256: sha, deliveryCount: "1" });
        expect(readFileSync(join(dir, `${d.id}.body`))).toEqual(body);
        expect(readFileSync(join(dir, `${d.id}.sha256`), "utf8")).toBe(`${sha}  5\n`);
        const again = await handle({ ...d, deliveryCount: 2, body: Buffer.from("different bytes") }, { RESULTS_DIR: dir });
        expect(again.code).toBe(0);
        expect(JSON.parse(again.stdout)).toMatchObject({ msg: "already done", deliveryCount: "2" });
        expect(readFileSync(join(dir, `${d.id}.body`))).toEqual(body);
        expect(readdirSync(dir).sort()).toEqual([`${d.id}.body`, `${d.id}.sha256`]); // no temp files left
    });

    it(`exit ${PARK_EXIT_CODE} (the worker's park code) with the reason as stderr's last line for what it can never process`, async () => {
        const dir = tempDir();
        const cases: [Delivery, Record<string, string>, RegExp][] = [
            [delivery(""), {}, /^EmptyBody/],
            [delivery("x".repeat(11)), { MAX_BODY_BYTES: "10" }, /^Oversize: body is 11 bytes/],
            [delivery("<a/>", { contentType: "application/xml" }), {}, /^UnsupportedContentType: application\/xml/],
            [delivery("ok", { id: "../../etc/passwd" }), {}, /^UnsupportedId/],
            [delivery("ok", { id: ".hidden" }), {}, /^UnsupportedId/],
        ];
        for (const [d, env, reason] of cases) {
            const r = await handle(d, { RESULTS_DIR: dir, ...env });
            expect(r.code, `${d.id} ${d.contentType}`).toBe(PARK_EXIT_CODE);
            expect(r.stderr.trim().split("\n").at(-1)).toMatch(reason);
        }
        expect(readdirSync(dir)).toEqual([]); // nothing stored, no temp file left
    });

    it("another exit code (75, retried) when it cannot store, so the message is not parked for a fault of the pod", async () => {
        const parent = tempDir();
        const readOnly = join(parent, "ro");
        mkdirSync(readOnly);
        chmodSync(readOnly, 0o555);
        // Root ignores directory modes: run as an unwritable path instead (a file where the directory should be).
        const r = await handle(delivery("ok"), { RESULTS_DIR: process.getuid?.() === 0 ? join(HANDLER, "results") : readOnly });
        expect(r.code).toBe(75);
        expect(r.stderr).toMatch(/cannot create RESULTS_DIR|cannot write under RESULTS_DIR/);
    });

    it("run without the worker's CE_ID it fails (75) rather than park: there is no message", async () => {
        const r = await run([], { command: HANDLER, input: "x", env: { RESULTS_DIR: tempDir() } });
        expect(r.code).toBe(75);
        expect(r.stderr).toMatch(/CE_ID is not set/);
    });
});
