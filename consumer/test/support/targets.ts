/**
 * The brokers the behaviour suite runs against: Storage queues on a real Azurite, always; Service Bus only when
 * a connection string and queue are given (no emulator here), otherwise reported as skipped with the reason.
 */
import { randomBytes } from "node:crypto";
import { ContainerClient } from "@azure/storage-blob";
import { QueueClient } from "@azure/storage-queue";
import { connectBroker, connectResults, type ConnectionOptions } from "../../src/connect";
import type { Broker } from "../../src/broker/types";
import type { ResultStore } from "../../src/results";
import { startAzurite, type Azurite } from "./azurite";

export interface TargetQueue {
    /** Environment for CLI processes pointing at this queue and results container. */
    readonly env: Record<string, string>;
    /** The same queue, in process, for sending raw bodies and reading dead letters. */
    readonly broker: Broker;
    readonly results: ResultStore;
    /** How long a killed worker's messages stay locked before redelivery, ms. */
    readonly lockMs: number;
}

export interface BrokerTarget {
    readonly name: string;
    /** Set when this target cannot run here; the suite is then skipped with this in its title. */
    readonly skipReason?: string;
    start(): Promise<void>;
    /** A fresh, empty queue and results container for one test. */
    queue(opts?: { maxDeliveryCount?: number }): Promise<TargetQueue>;
    stop(): Promise<void>;
}

const suffix = () => randomBytes(4).toString("hex");
/** Storage invisibility window in tests: short, so a SIGKILLed worker's messages come back quickly. */
const TEST_VISIBILITY_SECONDS = 2;

async function resultsContainer(connectionString: string): Promise<string> {
    const name = `results-${suffix()}`;
    await new ContainerClient(connectionString, name).create();
    return name;
}

export function storageTarget(): BrokerTarget {
    let azurite: Azurite | undefined;
    const opened: Broker[] = [];
    return {
        name: "Storage queue (Azurite)",
        async start() {
            azurite = await startAzurite();
        },
        async queue({ maxDeliveryCount = 5 } = {}) {
            const cs = azurite!.connectionString;
            const queue = `jobs-${suffix()}`;
            await new QueueClient(cs, queue).create();
            await new QueueClient(cs, `${queue}-poison`).create();
            const container = await resultsContainer(cs);
            const options: ConnectionOptions = {
                broker: "storageQueue",
                queue,
                connectionString: cs,
                resultsContainer: container,
                lockDurationMs: 60_000,
                visibilityTimeoutSeconds: TEST_VISIBILITY_SECONDS,
                maxDeliveryCount,
            };
            const broker = await connectBroker(options);
            opened.push(broker);
            return {
                env: {
                    KEDASCALE_BROKER: "storageQueue",
                    KEDASCALE_QUEUE: queue,
                    KEDASCALE_CONNECTION_STRING: cs,
                    KEDASCALE_RESULTS_CONTAINER: container,
                    KEDASCALE_VISIBILITY_TIMEOUT: String(TEST_VISIBILITY_SECONDS),
                    KEDASCALE_MAX_DELIVERY_COUNT: String(maxDeliveryCount),
                },
                broker,
                results: await connectResults(options),
                lockMs: TEST_VISIBILITY_SECONDS * 1000,
            };
        },
        async stop() {
            await Promise.all(opened.map((b) => b.close()));
            await azurite?.stop();
        },
    };
}

const SB_CONNECTION = process.env.KEDASCALE_TEST_SERVICEBUS_CONNECTION_STRING;
const SB_QUEUE = process.env.KEDASCALE_TEST_SERVICEBUS_QUEUE ?? "kedascale-test";

/** Service Bus with results on Azurite. Needs a queue whose lockDuration is PT1M and maxDeliveryCount ≥ 10. */
export function serviceBusTarget(): BrokerTarget {
    let azurite: Azurite | undefined;
    const opened: Broker[] = [];
    return {
        name: "Service Bus",
        skipReason: SB_CONNECTION ? undefined : "set KEDASCALE_TEST_SERVICEBUS_CONNECTION_STRING (and KEDASCALE_TEST_SERVICEBUS_QUEUE) to run; there is no Service Bus emulator here",
        async start() {
            azurite = await startAzurite();
        },
        async queue({ maxDeliveryCount = 5 } = {}) {
            const container = await resultsContainer(azurite!.connectionString);
            const options: ConnectionOptions = {
                broker: "serviceBus",
                queue: SB_QUEUE,
                connectionString: SB_CONNECTION,
                resultsConnectionString: azurite!.connectionString,
                resultsContainer: container,
                lockDurationMs: 60_000,
                visibilityTimeoutSeconds: 30,
                maxDeliveryCount,
            };
            const broker = await connectBroker(options);
            opened.push(broker);
            await purge(broker);
            return {
                env: {
                    KEDASCALE_BROKER: "serviceBus",
                    KEDASCALE_QUEUE: SB_QUEUE,
                    KEDASCALE_CONNECTION_STRING: SB_CONNECTION!,
                    KEDASCALE_RESULTS_CONNECTION_STRING: azurite!.connectionString,
                    KEDASCALE_RESULTS_CONTAINER: container,
                    KEDASCALE_MAX_DELIVERY_COUNT: String(maxDeliveryCount),
                },
                broker,
                results: await connectResults(options),
                lockMs: 60_000,
            };
        },
        async stop() {
            await Promise.all(opened.map((b) => b.close()));
            await azurite?.stop();
        },
    };
}

/** Empties a shared Service Bus queue left over from an earlier run. */
async function purge(broker: Broker): Promise<void> {
    for (;;) {
        const batch = await broker.receive(100, 1000);
        if (batch.length === 0) return;
        await Promise.all(batch.map((m) => broker.complete(m)));
    }
}

export const TARGETS: BrokerTarget[] = [storageTarget(), serviceBusTarget()];
