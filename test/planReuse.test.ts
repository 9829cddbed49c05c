/**
 * The suite runs each stack once per `vitest run` and hands later callers a copy (test/harness/planCache.ts). What a
 * test reads must be what a fresh run of the program records, never another config's run, never a run a test changed.
 */
import { afterEach, describe, expect, it } from "vitest";
import { clearCallOverrides, setCallOverride } from "./harness/mockState";
import { runProgram, settleProgram } from "./harness/runProgram";

afterEach(() => clearCallOverrides());

describe("a plan reused within a test run", () => {
    it("is exactly what a fresh run of the program records: resources, outputs, warnings, invokes", async () => {
        const first = await settleProgram("dev");
        const reused = await settleProgram("dev");
        expect(reused.resources).not.toBe(first.resources);
        const fresh = await settleProgram("dev", {}, false, { reuse: false });
        expect(reused.error).toBeUndefined();
        expect(reused).toStrictEqual(fresh);
    });

    it("is a copy: a test changing what it got changes nothing for the next caller", async () => {
        const first = await runProgram("dev");
        const name = first.resources[0].name;
        first.resources[0].inputs.changedByATest = true;
        first.resources.length = 0;
        const second = await runProgram("dev");
        expect(second.resources[0].name).toBe(name);
        expect(second.resources[0].inputs.changedByATest).toBeUndefined();
    });

    it("is never another config's: an override is a different run", async () => {
        const pools = [{ name: "spot", vmSize: "Standard_D4s_v5", priority: "Spot", maxCount: 7 }];
        await runProgram("dev");
        const changed = await runProgram("dev", { "kedascale:pools": pools });
        expect(changed.one("azure-native:containerservice:AgentPool").inputs.maxCount).toBe(7);
        expect((await runProgram("dev")).one("azure-native:containerservice:AgentPool").inputs.maxCount).not.toBe(7);
    });

    it("is not used while a test changes what Azure answers: the program runs and calls the override", async () => {
        await runProgram("dev");
        const calls: unknown[] = [];
        setCallOverride("azure-native:authorization:getClientConfig", (inputs, result) => (calls.push(inputs), result));
        await runProgram("dev");
        expect(calls.length).toBeGreaterThan(0);
    });

    it("is not used for a run the program refused: the error is the program's own, every time", async () => {
        for (let i = 0; i < 2; i++) {
            const r = await settleProgram("dev", { "kedascale:namePrefix": "Bad_Prefix!" });
            expect(r.error).toBeInstanceOf(Error);
            expect(String((r.error as Error).message)).toContain("kedascale:namePrefix");
        }
    });
});
