/**
 * The tests' way to run the real index.ts under Pulumi mocks (see programUnderMocks.ts): vitest supplies a fresh
 * module graph per run and replaces the deployer's ACR token exchange.
 */
import * as pulumi from "@pulumi/pulumi";
import { vi } from "vitest";
import { MOCK_ACR_CREDENTIALS, runUnderMocks, type RecordedResource, type SettledRun } from "./programUnderMocks";

export type { RecordedResource, SettledRun } from "./programUnderMocks";

export interface ProgramRun {
    resources: RecordedResource[];
    outputs: Record<string, any>;
    warnings: string[];
    /** Resources of one type; `name` narrows to one logical name. */
    ofType(type: string): RecordedResource[];
    one(type: string, name?: string): RecordedResource;
    byId(id: string): RecordedResource | undefined;
}

/** Runs the program and settles; never throws for a program error, so tests can inspect what was registered. */
export async function settleProgram(stack: string, overrides: Record<string, unknown> = {}): Promise<SettledRun> {
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
    });
}

export async function runProgram(stack: string, overrides: Record<string, unknown> = {}): Promise<ProgramRun> {
    const { error, resources: azure, outputs, warnings } = await settleProgram(stack, overrides);
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
