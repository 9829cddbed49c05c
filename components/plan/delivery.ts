/** The broker numbers a worker must agree with (pure). */
import { isoDurationSeconds } from "../config/duration";

/** Broker numbers the worker must agree with: the queue's lock and delivery limit. */
export interface DeliveryLimits {
    readonly lockDurationMs: number;
    readonly maxDeliveryCount: number;
}

/** Storage queues have no lock: the worker's invisibility window per receive or renewal (consumer --visibility-timeout 30). */
export const STORAGE_VISIBILITY_MS = 30_000;

/** Service Bus: the queue's lockDuration and maxDeliveryCount. Storage: the window above and the worker's own dequeue limit. */
export function deliveryLimits(
    b: { kind: "serviceBus"; lockDuration: string; maxDeliveryCount: number } | { kind: "storageQueue"; maxDequeueCount: number },
): DeliveryLimits {
    return b.kind === "serviceBus"
        ? { lockDurationMs: isoDurationSeconds(b.lockDuration) * 1000, maxDeliveryCount: b.maxDeliveryCount }
        : { lockDurationMs: STORAGE_VISIBILITY_MS, maxDeliveryCount: b.maxDequeueCount };
}
