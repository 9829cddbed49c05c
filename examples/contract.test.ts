/**
 * The Python consumers read kedascale's contract by its names: every KEDASCALE_* variable their config.py reads is
 * one kedascale renders (components/plan/contract.ts CONTRACT_ENV). A workload's own `env` may not set KEDASCALE_*
 * names (RESERVED_ENV_PREFIX), so a name outside the contract could never be set, and a renamed contract variable
 * would silently leave a consumer unconfigured.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CONTRACT_ENV, RESERVED_ENV_PREFIX } from "../components/plan/contract";

const contract = new Set(CONTRACT_ENV.map((v) => v.name));

/** Variable names a config.py reads: its module-level NAME = "VALUE" constants. */
function namesRead(dir: string): string[] {
    return [...readFileSync(join(__dirname, dir, "config.py"), "utf8").matchAll(/^[A-Z_]+ = "([A-Z][A-Z0-9_]*)"$/gm)].map((m) => m[1]);
}

describe.each([
    { dir: "storage-queue-consumer", needs: ["KEDASCALE_BROKER", "KEDASCALE_STORAGE_ACCOUNT", "KEDASCALE_QUEUE", "KEDASCALE_POISON_QUEUE", "KEDASCALE_RESULTS_ACCOUNT", "KEDASCALE_RESULTS_CONTAINER", "KEDASCALE_LOCK_DURATION_MS", "KEDASCALE_MAX_DELIVERY_COUNT", "KEDASCALE_GRACE_MS"] },
    { dir: "servicebus-receiver", needs: ["KEDASCALE_BROKER", "KEDASCALE_SERVICEBUS_FQDN", "KEDASCALE_QUEUE", "KEDASCALE_TOPIC", "KEDASCALE_SUBSCRIPTION", "KEDASCALE_MAX_DELIVERY_COUNT", "KEDASCALE_GRACE_MS"] },
])("examples/$dir reads the contract", ({ dir, needs }) => {
    const names = namesRead(dir);

    it("every KEDASCALE_* name it reads is a contract variable", () => {
        const reserved = names.filter((n) => n.startsWith(RESERVED_ENV_PREFIX));
        expect(reserved.filter((n) => !contract.has(n))).toEqual([]);
    });

    it("reads the contract variables that locate its entity and govern its deliveries", () => {
        expect(needs.filter((n) => !names.includes(n))).toEqual([]);
    });
});
