/**
 * The worker image (consumer/Dockerfile), run as the stacks run it, against a real Azurite on the host's loopback:
 * what a Job and a Deployment rely on, checked from the outside (exit codes, the queue's depth, the results) and from
 * the worker's own logs (the code cache verdict it reports at start, consumer/src/cli.ts "worker started").
 */
import { randomBytes } from "node:crypto";
import { ContainerClient } from "@azure/storage-blob";
import { QueueClient } from "@azure/storage-queue";
import type { Azurite } from "../../../consumer/src/azurite";
import type { Built } from "../build";
import { Background, runContainer, said, summaryOf, type ContainerRun } from "../containers";
import type { Engine } from "../engine";
import { expectThat, type Verdicts } from "./check";

/** A fresh queue, its poison queue and a results container in Azurite; the worker's environment for them. */
export async function storageFor(azurite: Azurite, prefix: string) {
    const cs = azurite.connectionString;
    const suffix = randomBytes(3).toString("hex");
    const queue = new QueueClient(cs, `${prefix}-${suffix}`);
    const container = new ContainerClient(cs, `${prefix}-r-${suffix}`);
    await Promise.all([queue.create(), new QueueClient(cs, `${queue.name}-poison`).create(), container.create()]);
    return {
        queue,
        container,
        depth: async () => (await queue.getProperties()).approximateMessagesCount ?? 0,
        env: { KEDASCALE_BROKER: "storageQueue", KEDASCALE_CONNECTION_STRING: cs, KEDASCALE_QUEUE: queue.name, KEDASCALE_RESULTS_CONTAINER: container.containerName },
    };
}


/** The code cache verdict a `work` run logged at start: accepted by the image's Node, none rejected or damaged. */
export function codeCacheAccepted(logs: Record<string, any>[]): string {
    const started = logs.find((l) => l.msg === "worker started");
    expectThat(started, `no "worker started" log line (seen: ${logs.map((l) => l.msg).join(" | ") || "nothing"})`);
    const cache = started.codeCache as { mode: string; accepted: number; rejected: number; invalid: number; missing: number } | undefined;
    expectThat(cache, `"worker started" carries no codeCache report: the launcher did not load the cache (${JSON.stringify(started)})`);
    expectThat(cache.rejected === 0 && cache.invalid === 0 && cache.accepted > 0, `code cache not accepted by the image's Node: ${JSON.stringify(cache)} (rejected = another V8 than the build stage's; invalid = damaged or of another build)`);
    return `accepted ${cache.accepted} file(s), rejected 0, invalid 0, without a cache ${cache.missing}`;
}

export async function workerChecks(engine: Engine, image: Built, azurite: Azurite, v: Verdicts): Promise<void> {
    const at = image.name;
    const s = await storageFor(azurite, "rehearse");
    const runId = `rehearsal${Date.now().toString(36)}`;
    const SENT = 5;
    const ONCE = 3;
    let firstOnce: ContainerRun | undefined;

    await v.check(at, "runs as a non-root user", async () => {
        expectThat(image.user && image.user !== "root" && image.user !== "0", `image USER is '${image.user || "(unset: root)"}'`);
        const r = await runContainer(engine, image.ref, ["-c", "id -u; id -un"], { entrypoint: "sh" });
        const [uid, user] = r.lines;
        expectThat(r.code === 0 && uid !== "0", `the container's process runs as uid ${uid} (${user}); exit ${r.code}`);
        return `USER ${image.user}: uid ${uid} (${user})`;
    });

    await v.check(at, "ships no npm, npx, corepack or yarn, not even in a lower layer, and nothing of the build's CA or npmrc", async () => {
        const paths = ["/usr/local/lib/node_modules", "/usr/local/bin/npm", "/usr/local/bin/npx", "/usr/local/bin/corepack", "/usr/local/bin/yarn", "/opt/yarn-v*", "/usr/local/include/node", "/root/.npmrc", "/root/.kedascale-rehearsal-ca.pem", "/root/.npm"];
        const r = await runContainer(engine, image.ref, ["-c", `for p in ${paths.join(" ")}; do [ -e "$p" ] && echo "$p"; done; true`], { entrypoint: "sh" });
        expectThat(r.code === 0, `listing failed: ${said(r)}`);
        expectThat(r.lines.length === 0, `present in the image: ${r.lines.join(", ")}`);
        // Every layer is the project's own (FROM scratch + COPY): none is a base layer that could still carry them.
        const layers = (await engine.inspectImage(image.ref)).RootFS.Layers;
        for (const b of image.bases) {
            const shared = layers.filter((l) => b.layers.includes(l));
            expectThat(shared.length === 0, `the image still has ${shared.length} layer(s) of ${b.ref}, which carry npm and yarn under whiteouts`);
        }
        return `none of ${paths.length} paths present; ${image.layers} layers, none shared with the base`;
    });

    await v.check(at, `send ${SENT} messages`, async () => {
        const r = await runContainer(engine, image.ref, ["send", "--count", String(SENT), "--run-id", runId], { env: s.env });
        const sum = summaryOf(r);
        expectThat(r.code === 0 && sum?.sent === SENT && sum?.status === "complete", `expected exit 0 and {sent: ${SENT}, status: complete}; ${said(r)}`);
        expectThat((await s.depth()) === SENT, `the queue holds ${await s.depth()} messages, not ${SENT}`);
        return `exit 0, ${SENT} on the queue (${r.ms} ms)`;
    });

    for (let i = 1; i <= ONCE; i++) {
        await v.check(at, `work --once #${i} takes exactly one message and exits 0`, async () => {
            const before = await s.depth();
            const r = await runContainer(engine, image.ref, ["work", "--once", "--wait-ms", "5000"], { env: s.env });
            const sum = summaryOf(r);
            const after = await s.depth();
            expectThat(r.code === 0, `expected exit 0; ${said(r)}`);
            expectThat(sum?.received === 1 && sum?.completed === 1, `expected {received: 1, completed: 1}; summary ${JSON.stringify(sum)}`);
            expectThat(after === before - 1, `the queue went from ${before} to ${after}, not ${before - 1}`);
            if (i === 1) firstOnce = r;
            return `exit 0, queue ${before} → ${after} (${r.ms} ms)`;
        });
    }

    await v.check(at, "the image's Node accepts the code cache its build trained", async () => {
        expectThat(firstOnce, "no work --once run to read the worker's start-up report from");
        return codeCacheAccepted(firstOnce.logs);
    });

    await v.check(at, "work --drain empties the queue and exits 0", async () => {
        const before = await s.depth();
        const r = await runContainer(engine, image.ref, ["work", "--drain", "--wait-ms", "2000"], { env: s.env });
        const sum = summaryOf(r);
        expectThat(r.code === 0 && sum?.completed === before, `expected exit 0 and {completed: ${before}}; ${said(r)}`);
        expectThat((await s.depth()) === 0, `${await s.depth()} message(s) left on the queue`);
        return `exit 0, ${before} completed, queue empty (${r.ms} ms)`;
    });

    await v.check(at, "verify: every message has exactly one result", async () => {
        const r = await runContainer(engine, image.ref, ["verify", "--run-id", runId], { env: s.env });
        const sum = summaryOf(r);
        expectThat(r.code === 0 && sum?.ok === true && sum.expected === SENT && sum.found === SENT && sum.missing === 0 && sum.duplicates === 0 && sum.extra === 0, `expected exit 0 and a clean report of ${SENT}; ${said(r)}`);
        return `exit 0: expected ${SENT}, found ${SENT}, missing 0, duplicates 0, extra 0`;
    });

    await v.check(at, "SIGTERM stops a running worker cleanly (exit 0)", async () => {
        // The Deployment's shape: the image's default command (`work`), continuous, stopped as the kubelet stops it.
        const c = Background.start(engine, `rehearsal-term-${process.pid}`, image.ref, [], { env: s.env });
        try {
            await c.waitFor(`"worker started" log`, () => c.logs.some((l) => l.msg === "worker started"));
            const stop = await c.stop(30_000);
            expectThat(!stop.killed, `still running ${stop.ms} ms after SIGTERM: killed`);
            expectThat(stop.code === 0, `exited ${stop.code} after SIGTERM; last log: ${JSON.stringify(c.logs.at(-1))}`);
            expectThat(c.logs.some((l) => l.msg === "worker stopped"), `no "worker stopped" log line after SIGTERM`);
            return `exit 0, ${stop.ms} ms after SIGTERM`;
        } finally {
            await c.signal("KILL");
        }
    });
}
