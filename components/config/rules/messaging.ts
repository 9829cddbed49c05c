/** Messaging rules (FACTS §6): SKU features, lock duration, results account kind vs SKU. */
import type { PlatformConfig } from "../schema";
import { error, key, type Problem } from "./problem";
import { isoDurationSeconds } from "../duration";

/** Service Bus caps peek-lock at 5 minutes (FACTS §6). Longer work renews the lock instead. */
const MAX_LOCK_SECONDS = 5 * 60;

export function messagingRules(cfg: PlatformConfig): Problem[] {
    const m = cfg.messaging;
    const sb = m.serviceBus;
    const problems: Problem[] = [];
    if (m.broker === "serviceBus") {
        if (sb.sku === "Basic") {
            const standardOnly = (
                [
                    ["requiresDuplicateDetection", sb.requiresDuplicateDetection],
                    ["requiresSession", sb.requiresSession],
                ] as const
            ).filter(([, on]) => on);
            for (const [feature] of standardOnly) {
                problems.push(
                    error([key("messaging", "serviceBus", "sku"), key("messaging", "serviceBus", feature)], `Service Bus "Basic" has no ${feature === "requiresSession" ? "sessions" : "duplicate detection"}, but ${feature} is true`, `set messaging.serviceBus.sku to "Standard" (or "Premium"), or turn ${feature} off`),
                );
            }
        }
        if (sb.capacity !== 1 && sb.sku !== "Premium") {
            problems.push(error([key("messaging", "serviceBus", "capacity")], `capacity ${sb.capacity} (messaging units) applies only to Premium, but sku is "${sb.sku}"`, `set sku to "Premium" or remove capacity`));
        }
        const lock = isoDurationSeconds(sb.lockDuration);
        if (lock > MAX_LOCK_SECONDS) {
            problems.push(error([key("messaging", "serviceBus", "lockDuration")], `"${sb.lockDuration}" is ${lock}s, above Service Bus's 5-minute maximum`, `use at most "PT5M"; the worker renews the lock for longer work`));
        }
        if (lock < 5) {
            problems.push(error([key("messaging", "serviceBus", "lockDuration")], `"${sb.lockDuration}" is under 5 seconds, the Service Bus minimum`, `use at least "PT5S" (default "PT1M")`));
        }
    }
    const resultsSku = m.results.sku;
    if (m.results.accountKind === "BlockBlobStorage" && resultsSku && !resultsSku.startsWith("Premium_")) {
        problems.push(error([key("messaging", "results", "accountKind"), key("messaging", "results", "sku")], `BlockBlobStorage accounts are Premium only, but sku is "${resultsSku}"`, `use "Premium_LRS" or "Premium_ZRS", or accountKind "StorageV2"`));
    }
    if (m.results.accountKind === "StorageV2" && resultsSku?.startsWith("Premium_")) {
        problems.push(error([key("messaging", "results", "sku")], `"${resultsSku}" on a StorageV2 account is premium page blobs only, with no block blobs for results`, `use accountKind "BlockBlobStorage" for premium block blobs, or a Standard_* sku`));
    }
    return problems;
}
