/**
 * The tests' way to run the real index.ts under Pulumi mocks (see programUnderMocks.ts): vitest supplies a fresh
 * module graph per run and replaces the deployer's ACR token exchange.
 */
import * as pulumi from "@pulumi/pulumi";
import { vi } from "vitest";
import { mockCall, mockState } from "./mockState";
import { planKey, reuseOrRun } from "./planCache";
import { MOCK_ACR_CREDENTIALS, runUnderMocks, type RecordedResource, type SettledRun } from "./programUnderMocks";
import { stackConfig } from "./stackConfig";

export type { RecordedInvoke, RecordedResource, SettledRun } from "./programUnderMocks";

export interface ProgramRun {
    resources: RecordedResource[];
    outputs: Record<string, any>;
    warnings: string[];
    /** Resources of one type; `name` narrows to one logical name. */
    ofType(type: string): RecordedResource[];
    one(type: string, name?: string): RecordedResource;
    byId(id: string): RecordedResource | undefined;
}

export interface RunOptions {
    /** false: run the program even if this `vitest run` already has the same run (to time it: bench/runBench.ts). Default true. */
    reuse?: boolean;
}

/**
 * Runs the program and settles; never throws for a program error, so tests can inspect what was registered.
 * The same run (same stack, config, sources, environment; see planCache.ts) is run once per `vitest run`: later calls
 * get a fresh copy of what it recorded, and Pulumi's runtime is left configured and mocked as the run leaves it.
 */
export async function settleProgram(stack: string, overrides: Record<string, unknown> = {}, preview = false, o: RunOptions = {}): Promise<SettledRun> {
    const key = o.reuse === false ? undefined : planKey(stack, overrides, preview);
    const { run, reused } = await reuseOrRun(key, () => runFresh(stack, overrides, preview));
    if (reused) {
        pulumi.runtime.setAllConfig(stackConfig(stack, overrides));
        await pulumi.runtime.setMocks({ newResource: (args) => mockState(args), call: (args) => mockCall(args.token, args.inputs) }, "kedascale", stack, preview);
    }
    return run;
}

function runFresh(stack: string, overrides: Record<string, unknown>, preview: boolean): Promise<SettledRun> {
    return runUnderMocks(stack, overrides, {
        async importProgram() {
            vi.resetModules();
            vi.doMock("../../components/azure/acrToken", () => ({ acrCredentials: async () => MOCK_ACR_CREDENTIALS }));
            return import("../../index");
        },
        captureWarnings(sink) {
            const warn = vi.spyOn(pulumi.log, "warn").mockImplementation(async (msg: string) => sink(msg));
            return () => warn.mockRestore();
        },
    }, preview);
}

export async function runProgram(stack: string, overrides: Record<string, unknown> = {}, o: RunOptions = {}): Promise<ProgramRun> {
    const { error, resources: azure, outputs, warnings } = await settleProgram(stack, overrides, false, o);
    if (error) throw error;
    return {
        resources: azure,
        outputs,
        warnings,
        ofType: (type) => azure.filter((r) => r.type === type),
        one(type, name) {
            const found = azure.filter((r) => r.type === type && (name === undefined || r.name === name));
            if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
            return found[0];
        },
        byId: (id) => azure.find((r) => r.id === id),
    };
}
