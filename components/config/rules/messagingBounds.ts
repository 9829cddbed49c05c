/**
 * Documented bounds of the Service Bus entity settings kedascale exposes (messaging.serviceBus), the ones rules/messaging.ts
 * (SKU features, lock duration) and rules/effects.ts (a window with duplicate detection off) do not already check.
 */
import { isoDurationSeconds } from "../duration";
import type { PlatformConfig } from "../schema";
import { given, type RuleContext } from "./context";
import { error, key, warning, type Problem } from "./problem";

/** "Max value is 7 days and minimum is 20 seconds" (Azure.Messaging.ServiceBus QueueProperties.DuplicateDetectionHistoryTimeWindow). */
export const DUPLICATE_WINDOW_SECONDS = { min: 20, max: 7 * 24 * 3600 } as const;

export function messagingBoundsRules(cfg: PlatformConfig, ctx?: RuleContext): Problem[] {
    const m = cfg.messaging;
    if (m.broker !== "serviceBus") return [];
    const sb = m.serviceBus;
    const k = (f: string) => key("messaging", "serviceBus", f);
    const problems: Problem[] = [];

    if (sb.requiresDuplicateDetection) {
        const window = isoDurationSeconds(sb.duplicateDetectionHistoryTimeWindow);
        if (window < DUPLICATE_WINDOW_SECONDS.min || window > DUPLICATE_WINDOW_SECONDS.max) {
            problems.push(
                error(
                    [k("duplicateDetectionHistoryTimeWindow")],
                    `"${sb.duplicateDetectionHistoryTimeWindow}" (${window} s) is outside Service Bus's duplicate-detection window of 20 seconds to 7 days`,
                    `use a duration from "PT20S" to "P7D" (default "PT10M")`,
                ),
            );
        }
    }

    const ttl = isoDurationSeconds(sb.defaultMessageTimeToLive);
    if (ttl < 1) {
        problems.push(error([k("defaultMessageTimeToLive")], `"${sb.defaultMessageTimeToLive}" expires every message as it arrives`, `use a positive duration such as "P14D" (the default)`));
    } else if (given(ctx, "messaging", "serviceBus", "defaultMessageTimeToLive") && ttl <= isoDurationSeconds(sb.lockDuration)) {
        // Service Bus: "Extremely low TTL in the order of milliseconds or seconds might cause messages to expire before
        // receiver applications receive it" (service-bus-messaging message-expiration.md).
        problems.push(
            warning(
                [k("defaultMessageTimeToLive"), k("lockDuration")],
                `defaultMessageTimeToLive "${sb.defaultMessageTimeToLive}" is no longer than one lock (${sb.lockDuration}): a message that waits in the queue or is redelivered once expires before a worker can finish it${sb.deadLetteringOnMessageExpiration ? " (and is dead-lettered)" : " (and is dropped)"}`,
                `use a time to live well above the queue's expected backlog time (default "P14D")`,
            ),
        );
    }

    // The worker opens a plain queue receiver; Service Bus refuses it on a session queue ("It is not possible for an
    // entity that requires sessions to create a non-sessionful message receiver"), so every worker would fail to start.
    if (sb.requiresSession) {
        problems.push(
            error(
                [k("requiresSession")],
                `requiresSession is true, but kedascale's worker receives without sessions, which Service Bus refuses on a session-enabled queue: no message would ever be processed`,
                `set messaging.serviceBus.requiresSession to false (the default)`,
            ),
        );
    }
    return problems;
}
