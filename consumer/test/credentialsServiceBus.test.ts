/**
 * Issue 23 point 1, Service Bus: a virtual-node (ACI) pod gets the connection string of a Listen-only rule on its one
 * queue (components/azure/virtualNodeCredential.ts: rights ["Listen"], listQueueKeys) and the results container's
 * `rcw` SAS; an AKS pod gets Azure Service Bus Data Receiver on the queue (components/azure/messaging.ts intentRoles).
 * Service Bus has no emulator, so the queue side runs over a fake @azure/service-bus client that records every call
 * the worker makes — start-up check included — and the test asserts each maps to an operation the Listen claim
 * allows (Service Bus SAS doc, "Rights required for Service Bus operations":
 * learn.microsoft.com/azure/service-bus-messaging/service-bus-sas#rights-required-for-service-bus-operations).
 * Data Receiver grants `Microsoft.ServiceBus/*\/receive/action` (built-in roles, Integration), the RBAC form of the
 * same receive-side operations: the same recorded calls are checked against it. The results side is real: Azurite
 * over HTTPS with the stack's container SAS.
 */
import { ServiceBusClient } from "@azure/service-bus";
import { ContainerClient } from "@azure/storage-blob";
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { ServiceBusBroker } from "../src/broker/serviceBus";
import { connectBroker, type ConnectionOptions } from "../src/connect";
import { resultWritingHandler } from "../src/handler";
import { preflight, type ServiceBusProbeClient } from "../src/preflight";
import { ResultStore } from "../src/results";
import { waitUntilReady } from "../src/startupWait";
import { Worker } from "../src/worker";
import { startAzurite, type Azurite } from "./support/azurite";
import { selfSignedCert, trustInThisProcess, virtualNodeResultsConnection, type Cert } from "./support/stackCredentials";

/**
 * Every SDK call the worker may make on a Listen-only credential, with the operation of the SAS doc's table it is.
 * Peek and renew-lock are management requests on the receiver's own link ($management of the entity), which the
 * service authorizes with the receiver's Listen claim; the doc's table names the receive-side operations.
 */
const LISTEN_OPERATIONS: Record<string, string> = {
    createReceiver: "Receive messages from a queue (opens the receiver link: Listen)",
    receiveMessages: "Receive messages from a queue",
    peekMessages: "Receive messages from a queue (peek on the receiver link)",
    completeMessage: "Abandon or complete messages after receiving the message in peek-lock mode",
    abandonMessage: "Abandon or complete messages after receiving the message in peek-lock mode",
    deadLetterMessage: "Deadletter a message",
    renewMessageLock: "Receive messages from a queue (lock renewal on the receiver link)",
    close: "(no claim: closes links)",
};

/**
 * Azure Service Bus Data Receiver (4f6d3b9b-…, built-in-roles/integration.md): actions queues/read, topics/read,
 * topics/subscriptions/read; dataActions `Microsoft.ServiceBus/*\/receive/action` — what an AKS or Container Apps
 * worker holds on its queue. Every receiver-link operation is a receive; a sender link would need `send/action`.
 */
const DATA_RECEIVER_DATA_ACTIONS = ["Microsoft.ServiceBus/*/receive/action"];
const DATA_ACTION_OF: Record<string, string | undefined> = {
    createReceiver: "Microsoft.ServiceBus/*/receive/action",
    receiveMessages: "Microsoft.ServiceBus/*/receive/action",
    peekMessages: "Microsoft.ServiceBus/*/receive/action",
    completeMessage: "Microsoft.ServiceBus/*/receive/action",
    abandonMessage: "Microsoft.ServiceBus/*/receive/action",
    deadLetterMessage: "Microsoft.ServiceBus/*/receive/action",
    renewMessageLock: "Microsoft.ServiceBus/*/receive/action",
    createSender: "Microsoft.ServiceBus/*/send/action",
    close: undefined,
};

interface Raw {
    messageId: string;
    sequenceNumber: number;
    body: string;
    deliveryCount: number;
    lockedUntilUtc: Date;
    visibleAt: number;
}

/** A queue with peek-lock semantics behind the SDK's surface; every method call on client or receiver is recorded. */
function fakeServiceBus(lockDurationMs: number) {
    const calls: string[] = [];
    const queue = new Map<number, Raw>();
    const deadLettered: { body: string; reason: string }[] = [];
    let seq = 0;
    const receiver = {
        async receiveMessages(max: number, o: { maxWaitTimeInMs?: number } = {}) {
            const now = Date.now();
            const out: Raw[] = [];
            for (const m of queue.values()) {
                if (out.length >= max) break;
                if (m.visibleAt > now) continue;
                m.deliveryCount++;
                m.visibleAt = now + lockDurationMs;
                m.lockedUntilUtc = new Date(m.visibleAt);
                out.push({ ...m });
            }
            if (out.length === 0) await new Promise((r) => setTimeout(r, Math.min(o.maxWaitTimeInMs ?? 50, 50)));
            return out;
        },
        async peekMessages(max: number) {
            return [...queue.values()].slice(0, max);
        },
        async completeMessage(m: Raw) {
            queue.delete(m.sequenceNumber);
        },
        async abandonMessage(m: Raw) {
            const stored = queue.get(m.sequenceNumber);
            if (stored) stored.visibleAt = 0;
        },
        async deadLetterMessage(m: Raw, o: { deadLetterReason: string }) {
            deadLettered.push({ body: m.body, reason: o.deadLetterReason });
            queue.delete(m.sequenceNumber);
        },
        async renewMessageLock(m: Raw) {
            const stored = queue.get(m.sequenceNumber)!;
            stored.visibleAt = Date.now() + lockDurationMs;
            return new Date(stored.visibleAt);
        },
        async close() {},
    };
    const client = {
        fullyQualifiedNamespace: "kedascale-aci.servicebus.windows.net",
        createReceiver: () => receiver,
        createSender: () => ({}),
        async close() {},
    };
    // Records any method used, known or not: a call this test does not know about fails the Listen check by name.
    const recording = <T extends object>(target: T): T =>
        new Proxy(target, {
            get(t, key, r) {
                const v = Reflect.get(t, key, r);
                if (typeof v !== "function" || typeof key !== "string") return v;
                return (...args: unknown[]) => {
                    calls.push(key);
                    const out = v.apply(t, args);
                    return out === receiver ? recording(receiver) : out;
                };
            },
        });
    return {
        client: recording(client) as unknown as ServiceBusProbeClient,
        calls,
        deadLettered,
        queue,
        add: (body: string) => {
            seq++;
            queue.set(seq, { messageId: `m${seq}`, sequenceNumber: seq, body, deliveryCount: 0, lockedUntilUtc: new Date(0), visibleAt: 0 });
        },
    };
}

let azurite: Azurite;
let cert: Cert;
beforeAll(async () => {
    cert = selfSignedCert();
    trustInThisProcess(cert);
    azurite = await startAzurite({ tls: cert });
}, 60_000);
afterAll(async () => {
    await azurite?.stop();
    cert?.remove();
});
beforeEach(() => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

/** What listQueueKeys returns for a queue-level rule: the entity path is part of the string. */
const listenConnectionString = (queue: string) => `Endpoint=sb://kedascale-aci.servicebus.windows.net/;SharedAccessKeyName=aci-listen;SharedAccessKey=${randomBytes(32).toString("base64")};EntityPath=${queue}`;

describe("Service Bus on virtual nodes: a Listen-only rule and the results SAS", () => {
    it("the worker's start-up check, receive, renew, release, complete and dead-letter are all Listen operations; it never opens a sender", async () => {
        const id = randomBytes(3).toString("hex");
        const queue = `jobs-${id}`;
        const container = `sb-results-${id}`;
        await new ContainerClient(azurite.connectionString, container).create();
        const lockDurationMs = 3000;
        const sb = fakeServiceBus(lockDurationMs);
        sb.add("this is not JSON");
        sb.add(JSON.stringify({ runId: `sb${id}`, seq: 1, id: `sb${id}-1`, workMs: 3500 }));
        sb.add(JSON.stringify({ runId: `sb${id}`, seq: 2, id: `sb${id}-2`, failDeliveries: 1 }));
        sb.add(JSON.stringify({ runId: `sb${id}`, seq: 3, id: `sb${id}-3` }));

        // The pod's env: the Listen rule's connection string and the results SAS, no namespace or account names.
        const o: ConnectionOptions = {
            broker: "serviceBus",
            queue,
            connectionString: listenConnectionString(queue),
            resultsConnectionString: virtualNodeResultsConnection(azurite, container),
            resultsContainer: container,
            lockDurationMs,
            visibilityTimeoutSeconds: 30,
            maxDeliveryCount: 5,
        };
        await preflight(o, ["receive", "park", "writeResults"], () => {}, { serviceBusClient: () => sb.client });
        const results = new ResultStore(new ContainerClient(o.resultsConnectionString!, container));
        const worker = new Worker({
            broker: new ServiceBusBroker({ client: sb.client, queueName: queue, lockDurationMs, maxDeliveryCount: 5 }),
            handler: resultWritingHandler(results, { maxWorkMs: 10_000 }),
            mode: "drain",
            receiveWaitMs: 100,
            releaseBackoffMs: 100,
            hardExitAfterGraceMs: 0,
        });
        const stats = await worker.run();
        expect(stats).toMatchObject({ completed: 3, deadLettered: 1, renewFailures: 0 });
        expect(sb.queue.size).toBe(0);
        expect(sb.deadLettered.map((d) => d.body)).toEqual(["this is not JSON"]);
        for (const seq of [1, 2, 3]) expect(await results.exists(`sb${id}/${seq}.json`)).toBe(true);

        const used = [...new Set(sb.calls)].sort();
        const outsideListen = used.filter((c) => !(c in LISTEN_OPERATIONS));
        expect(outsideListen, `calls a Listen-only rule does not allow: ${outsideListen.join(", ")}`).toEqual([]);
        expect(used).not.toContain("createSender");
        // The same calls under workload identity: each needs a data action Data Receiver holds.
        const outsideReceiver = used.filter((c) => !(c in DATA_ACTION_OF) || (DATA_ACTION_OF[c] !== undefined && !DATA_RECEIVER_DATA_ACTIONS.includes(DATA_ACTION_OF[c]!)));
        expect(outsideReceiver, `calls Azure Service Bus Data Receiver does not allow: ${outsideReceiver.join(", ")}`).toEqual([]);
        // The paths this test means to cover were taken (a test that cannot fail proves nothing).
        expect(used).toEqual(expect.arrayContaining(["peekMessages", "receiveMessages", "renewMessageLock", "abandonMessage", "completeMessage", "deadLetterMessage"]));
    }, 30_000);

    it("the real SDK takes the rule's connection string (EntityPath = the queue) for the worker's receiver, offline", async () => {
        const queue = "jobs";
        const broker = await connectBroker({ broker: "serviceBus", queue, connectionString: listenConnectionString(queue), resultsContainer: "results", lockDurationMs: 60_000, visibilityTimeoutSeconds: 30, maxDeliveryCount: 10 });
        await broker.close();
        // A rule of another queue is refused before any network call.
        const other = new ServiceBusClient(listenConnectionString("other"));
        expect(() => other.createReceiver(queue)).toThrow(/EntityPath/);
        await other.close();
    });

    it("a Deployment's worker given another queue's rule does not wait for it to change: it fails at start, naming the mismatch", async () => {
        const o: ConnectionOptions = { broker: "serviceBus", queue: "jobs", connectionString: listenConnectionString("other"), resultsContainer: "results", lockDurationMs: 60_000, visibilityTimeoutSeconds: 30, maxDeliveryCount: 10 };
        // No budget: continuous mode, which waits for anything that may still appear — but not for this.
        await expect(waitUntilReady(o, ["receive"], { backoffMaxMs: 100, logEveryMs: 1000 })).rejects.toThrow(/EntityPath/);
    });
});
