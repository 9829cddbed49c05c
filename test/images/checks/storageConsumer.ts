/**
 * The Storage-queue consumer example (examples/storage-queue-consumer, issue 21), run as its ScaledJob runs it — one
 * container per message, the image's own ENTRYPOINT and numeric USER, the pod's securityContext with its /tmp — with
 * kedascale's contract environment, against Azurite on the host's loopback, fed by the worker image's `send`.
 */
import { QueueClient } from "@azure/storage-queue";
import type { Built } from "../build";
import { runContainer, said } from "../containers";
import type { Engine } from "../engine";
import { expectThat } from "./check";
import type { RunContext } from "./registry";
import { storageFor } from "./worker";


export async function storageConsumerChecks(engine: Engine, image: Built, ctx: RunContext): Promise<void> {
    const v = ctx.verdicts;
    const worker = ctx.built.find((b) => b.build.dockerfile === "consumer/Dockerfile");
    const s = await storageFor(ctx.azurite, "rehearse-py");
    const COUNT = 3;
    // kedascale's contract variables (components/plan/contract.ts), the Azurite form of the local stack.
    const env = {
        KEDASCALE_BROKER: "storageQueue",
        KEDASCALE_QUEUE: s.env.KEDASCALE_QUEUE,
        KEDASCALE_POISON_QUEUE: `${s.env.KEDASCALE_QUEUE}-poison`,
        KEDASCALE_CONNECTION_STRING: ctx.azurite.connectionString,
        KEDASCALE_RESULTS_CONNECTION_STRING: ctx.azurite.connectionString,
        KEDASCALE_RESULTS_CONTAINER: s.env.KEDASCALE_RESULTS_CONTAINER,
    };

    await v.check(image.name, "runs as a numeric non-root user", async () => {
        expectThat(/^[1-9]\d*(?::\d+)?$/.test(image.user), `image USER is '${image.user || "(unset: root)"}', not a numeric non-root uid`);
        const r = await runContainer(engine, image.ref, ["-c", "import os; print(os.getuid())"], { entrypoint: "python3", shape: "team" });
        expectThat(r.code === 0 && r.lines[0] === image.user.split(":")[0], `the container's process runs as uid ${r.lines[0]}; ${said(r)}`);
        return `USER ${image.user}: uid ${r.lines[0]}`;
    });

    for (let i = 1; i <= COUNT; i++) {
        await v.check(image.name, `Job #${i} takes exactly one message and exits 0`, async () => {
            if (i === 1) {
                expectThat(worker, "the worker image was not built this run: nothing to send with");
                const sent = await runContainer(engine, worker.ref, ["send", "--count", String(COUNT), "--no-manifest"], { env: s.env });
                expectThat(sent.code === 0, `send: ${said(sent)}`);
            }
            const before = await s.depth();
            const r = await runContainer(engine, image.ref, [], { env, shape: "team" });
            const after = await s.depth();
            expectThat(r.code === 0, `expected exit 0; ${said(r)}`);
            expectThat(after === before - 1, `the queue went from ${before} to ${after}, not ${before - 1}`);
            expectThat(r.logs.some((l) => l.msg === "completed"), `no "completed" log line; ${said(r)}`);
            return `exit 0, queue ${before} → ${after} (${r.ms} ms)`;
        });
    }

    await v.check(image.name, "one result per message, nothing parked", async () => {
        const blobs: string[] = [];
        for await (const b of s.container.listBlobsFlat()) blobs.push(b.name);
        const poison = await new QueueClient(ctx.azurite.connectionString, env.KEDASCALE_POISON_QUEUE).getProperties();
        expectThat(blobs.length === COUNT, `${blobs.length} result blob(s), not ${COUNT}: ${blobs.join(", ")}`);
        expectThat((poison.approximateMessagesCount ?? 0) === 0, `${poison.approximateMessagesCount} message(s) parked on the poison queue`);
        return `${COUNT} results, poison queue empty`;
    });

    await v.check(image.name, "an empty queue: exits 0", async () => {
        const r = await runContainer(engine, image.ref, [], { env, shape: "team" });
        expectThat(r.code === 0 && r.logs.some((l) => l.msg === "no message"), `expected exit 0 and "no message"; ${said(r)}`);
        return `exit 0, "no message" (${r.ms} ms)`;
    });
}
