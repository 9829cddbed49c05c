/**
 * The baselines the bench sets the worker and `send` against: the plainest, fastest loops the Storage SDK allows, with
 * no framework. Bundled by the bench with the same esbuild settings as the worker (bench/spawn.ts), so start-up is
 * compared like for like, and run as their own processes so their CPU is theirs alone (bench/probe.cjs).
 *
 *   drain <inflight>   the worker's job at the worker's concurrency: at most <inflight> messages held, receive 32 at a
 *                      time once half a batch is free, parse the body, delete; until a receive comes back empty.
 *   drain-deadlines <inflight>   the same with a 30 s abort signal on every call, as the worker has (issue 10).
 *   ceiling            the fastest drain: 4 receive loops of 32 back to back, every delete in parallel (throughput ceiling).
 *   send <lanes> <n>   n messages of 256 bytes, <lanes> sends in flight (1 = the naive `await send()` loop).
 * Queue from KEDASCALE_CONNECTION_STRING and KEDASCALE_QUEUE.
 */
import { QueueClient } from "@azure/storage-queue";
import { buildMessage } from "../consumer/src/send";

const client = new QueueClient(process.env.KEDASCALE_CONNECTION_STRING!, process.env.KEDASCALE_QUEUE!);
const [mode, a, b] = process.argv.slice(2);

/**
 * Options for one call: none, or with `deadlines` what every worker call carries: an abort signal that fires after
 * 30 s (AbortSignal.timeout: a timer and an AbortController), passed to the SDK.
 */
const callOptions = (deadlines: boolean) => (deadlines ? { abortSignal: AbortSignal.timeout(30_000) } : {});

async function drain(inflight: number, deadlines = false): Promise<number> {
    let held = 0;
    let done = 0;
    let wake: () => void = () => {};
    const pending = new Set<Promise<void>>();
    for (;;) {
        while (inflight - held < Math.max(1, Math.ceil(Math.min(32, inflight) / 2))) await new Promise<void>((r) => (wake = r));
        const { receivedMessageItems: items } = await client.receiveMessages({ numberOfMessages: Math.min(32, inflight - held), visibilityTimeout: 30, ...callOptions(deadlines) });
        if (items.length === 0) {
            if (held === 0) break;
            await Promise.race(pending);
            continue;
        }
        held += items.length;
        for (const m of items) {
            const p = (async () => {
                JSON.parse(m.messageText);
                await client.deleteMessage(m.messageId, m.popReceipt, callOptions(deadlines));
                done++;
            })().finally(() => {
                held--;
                pending.delete(p);
                wake();
            });
            pending.add(p);
        }
    }
    await Promise.all(pending);
    return done;
}

async function ceiling(): Promise<number> {
    let done = 0;
    await Promise.all(
        Array.from({ length: 4 }, async () => {
            for (;;) {
                const { receivedMessageItems: items } = await client.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 30 });
                if (items.length === 0) return;
                await Promise.all(items.map((m) => client.deleteMessage(m.messageId, m.popReceipt)));
                done += items.length;
            }
        }),
    );
    return done;
}

async function send(lanes: number, count: number): Promise<number> {
    let next = 0;
    await Promise.all(
        Array.from({ length: lanes }, async () => {
            while (next < count) await client.sendMessage(buildMessage("raw", next++, 256).body);
        }),
    );
    return count;
}

(mode === "drain" ? drain(Number(a)) : mode === "drain-deadlines" ? drain(Number(a), true) : mode === "ceiling" ? ceiling() : send(Number(a), Number(b))).then(
    (n) => process.stdout.write(JSON.stringify({ messages: n }) + "\n"),
    (e) => {
        process.stderr.write(String(e) + "\n");
        process.exitCode = 1;
    },
);
