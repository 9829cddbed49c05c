/** Azure resource names. Storage accounts and registries are global, lowercase and short, hence the suffix. */
import { createHash } from "node:crypto";

/** A stable 6-character suffix per subscription, project and stack: the same on every run, distinct across stacks. */
export function uniqueSuffix(subscriptionId: string, project: string, stack: string): string {
    return createHash("sha256").update(`${subscriptionId}/${project}/${stack}`).digest("hex").slice(0, 6);
}

/** Lowercase alphanumerics only (storage accounts and ACR), cut to `max`. */
export function compactName(parts: string[], max: number): string {
    return parts.join("").toLowerCase().replace(/[^a-z0-9]/g, "").slice(0, max);
}

/** Readable names for resources that allow hyphens. */
export function dashedName(...parts: string[]): string {
    return parts.join("-").toLowerCase().replace(/[^a-z0-9-]/g, "-");
}

/** A name's service rule: length bounds, allowed shape, and what a user should read in a message (names.ts, containerAppsNames.ts). */
export interface NameRule {
    readonly min: number;
    readonly max: number;
    readonly pattern: RegExp;
    readonly describe: string;
}
