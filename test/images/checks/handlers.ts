/**
 * The example handler images (examples/handlers/, issue 22) run as the pod runs them, with the worker image built by
 * this rehearsal, against Azurite on the host's loopback:
 *   - http: the handler's image and the worker's image as two containers in one network namespace (a pod's two
 *     containers; here the host's), the worker POSTing each message to the handler at 127.0.0.1;
 *   - exec: the image built FROM the worker image, running its handler script per message inside.
 */
import { freePort } from "../../../consumer/src/azurite";
import type { Built } from "../build";
import { Background, runContainer, said, summaryOf } from "../containers";
import type { Engine } from "../engine";
import { expectThat } from "./check";
import type { RunContext } from "./registry";
import { codeCacheAccepted, storageFor } from "./worker";

const worker = (ctx: RunContext) => ctx.built.find((b) => b.build.dockerfile === "consumer/Dockerfile");

/** Its USER is numeric and not root (runAsNonRoot can only verify a numeric one), and its process runs as that. */
async function nonRoot(engine: Engine, image: Built, ctx: RunContext): Promise<void> {
    await ctx.verdicts.check(image.name, "runs as a numeric non-root user", async () => {
        expectThat(/^[1-9]\d*(?::\d+)?$/.test(image.user), `image USER is '${image.user || "(unset: root)"}', not a numeric non-root uid`);
        const r = await runContainer(engine, image.ref, ["-c", "id -u"], { entrypoint: "sh", shape: "team" });
        expectThat(r.code === 0 && r.lines[0] === image.user.split(":")[0], `the container's process runs as uid ${r.lines[0]}; exit ${r.code}`);
        return `USER ${image.user}: uid ${r.lines[0]}`;
    });
}

export async function httpHandlerChecks(engine: Engine, image: Built, ctx: RunContext): Promise<void> {
    const v = ctx.verdicts;
    await nonRoot(engine, image, ctx);
    const w = worker(ctx);
    if (!w) {
        await v.check(image.name, "beside the worker image", async () => {
            throw new Error("the worker image was not built this run: nothing to run the handler beside");
        });
        return;
    }
    const port = await freePort();
    const s = await storageFor(ctx.azurite, "rehearse-http");
    const COUNT = 4;
    // The pod's second container: listening on loopback only, as the worker reaches it (HOST 127.0.0.1).
    const handler = Background.start(engine, `rehearsal-http-${process.pid}`, image.ref, [], { env: { PORT: String(port), HOST: "127.0.0.1", RESULTS_DIR: "/tmp" }, shape: "team" });
    try {
        await v.check(image.name, "starts and answers its health path", async () => {
            const deadline = Date.now() + 30_000;
            for (;;) {
                const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status === 200, () => false);
                if (ok) return `GET /healthz → 200 on 127.0.0.1:${port}`;
                if (Date.now() > deadline) throw new Error(`no 200 from /healthz within 30 s; its output:\n${handler.stderr.trim().split("\n").slice(-10).join("\n")}`);
                await new Promise((r) => setTimeout(r, 200));
            }
        });
        await v.check(image.name, `the worker image drains ${COUNT} messages through it (one network namespace)`, async () => {
            const sent = await runContainer(engine, w.ref, ["send", "--count", String(COUNT), "--no-manifest"], { env: s.env });
            expectThat(sent.code === 0, `send: ${said(sent)}`);
            const r = await runContainer(engine, w.ref, ["work", "--drain", "--wait-ms", "2000", "--handler", "http", "--handler-port", String(port)], { env: s.env });
            const sum = summaryOf(r);
            expectThat(r.code === 0 && sum?.completed === COUNT && sum?.deadLettered === 0, `expected exit 0, {completed: ${COUNT}, deadLettered: 0}; ${said(r)}`);
            expectThat((await s.depth()) === 0, `${await s.depth()} message(s) left on the queue`);
            const files = await engine.podman(["exec", handler.name, "sh", "-c", "ls /tmp/*.json | wc -l"], { allowFailure: true });
            expectThat(files.stdout.trim() === String(COUNT), `the handler stored ${files.stdout.trim() || "no"} result(s), not ${COUNT}: ${files.stderr.trim()}`);
            return `worker exit 0: ${COUNT} completed, 0 parked; the handler stored ${COUNT} results (${r.ms} ms)`;
        });
        await v.check(image.name, "SIGTERM stops the handler cleanly (exit 0)", async () => {
            const stop = await handler.stop(30_000);
            expectThat(!stop.killed && stop.code === 0, `exit ${stop.code}${stop.killed ? " (killed: still running 30 s after SIGTERM)" : ""} after SIGTERM`);
            return `exit 0, ${stop.ms} ms after SIGTERM`;
        });
    } finally {
        await handler.signal("KILL");
    }
}

export async function execHandlerChecks(engine: Engine, image: Built, ctx: RunContext): Promise<void> {
    const v = ctx.verdicts;
    await nonRoot(engine, image, ctx);
    const s = await storageFor(ctx.azurite, "rehearse-exec");
    const COUNT = 3;
    // The image's own CMD is `work --handler exec -- /handler/handler.sh`; a Job's pod adds --once, a drain --drain.
    const cmd = ["--handler", "exec", "--", "/handler/handler.sh"];
    await v.check(image.name, `send ${COUNT}, then work --once runs the handler for exactly one`, async () => {
        const sent = await runContainer(engine, image.ref, ["send", "--count", String(COUNT), "--no-manifest"], { env: s.env, shape: "team" });
        expectThat(sent.code === 0, `send: ${said(sent)}`);
        const r = await runContainer(engine, image.ref, ["work", "--once", "--wait-ms", "5000", ...cmd], { env: s.env, shape: "team" });
        const sum = summaryOf(r);
        expectThat(r.code === 0 && sum?.received === 1 && sum?.completed === 1, `expected exit 0, {received: 1, completed: 1}; ${said(r)}`);
        expectThat((await s.depth()) === COUNT - 1, `the queue holds ${await s.depth()}, not ${COUNT - 1}`);
        return `exit 0, 1 completed; ${codeCacheAccepted(r.logs)}`;
    });
    await v.check(image.name, "work --drain runs the handler for the rest and exits 0", async () => {
        const r = await runContainer(engine, image.ref, ["work", "--drain", "--wait-ms", "2000", ...cmd], { env: s.env, shape: "team" });
        const sum = summaryOf(r);
        expectThat(r.code === 0 && sum?.completed === COUNT - 1 && sum?.deadLettered === 0, `expected exit 0, {completed: ${COUNT - 1}, deadLettered: 0}; ${said(r)}`);
        expectThat((await s.depth()) === 0, `${await s.depth()} message(s) left on the queue`);
        return `exit 0, ${COUNT - 1} completed, 0 parked (${r.ms} ms)`;
    });
}
