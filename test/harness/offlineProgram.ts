/**
 * The real index.ts under the tests' Pulumi mocks in a plain process (tsx, no vitest): what `npm run plan` and the
 * emulation's renderer run. One run per process: Pulumi's runtime is global state.
 */
import * as pulumi from "@pulumi/pulumi";
import Module from "node:module";
import { MOCK_ACR_CREDENTIALS, runUnderMocks, type SettledRun } from "./programUnderMocks";

export function runOffline(stack: string, overrides: Record<string, unknown> = {}): Promise<SettledRun> {
    return runUnderMocks(stack, overrides, {
        async importProgram() {
            // No network under mocks: the deployer's ACR token exchange answers like the tests' does.
            const acrToken = require.resolve("../../components/azure/acrToken");
            const stub = new Module(acrToken);
            stub.filename = acrToken;
            stub.loaded = true;
            stub.exports = { acrCredentials: async () => MOCK_ACR_CREDENTIALS };
            require.cache[acrToken] = stub;
            return import("../../index");
        },
        captureWarnings(sink) {
            const original = pulumi.log.warn;
            (pulumi.log as { warn: typeof pulumi.log.warn }).warn = async (msg: string) => sink(msg);
            return () => ((pulumi.log as { warn: typeof pulumi.log.warn }).warn = original);
        },
    });
}
