/**
 * `npm run plan -- <stack>`: the preview without an Azure account. Runs the real index.ts with the real
 * Pulumi.<stack>.yaml under the same mocks the tests use, prints what it would create, the quota it needs,
 * every warning and every preflight error, and exits 1 when the stack would not deploy.
 */
import * as pulumi from "@pulumi/pulumi";
import Module from "node:module";
import { MOCK_ACR_CREDENTIALS, runUnderMocks } from "./programUnderMocks";
import { planReport } from "./planReport";
import { stackNames } from "./stackConfig";

async function main(): Promise<number> {
    const stack = process.argv[2];
    const stacks = stackNames();
    if (!stack || stack.startsWith("-") || !stacks.includes(stack)) {
        process.stderr.write(`usage: npm run plan -- <stack>\n  stacks in this repo: ${stacks.join(", ")}${stack ? `\n  no Pulumi.${stack}.yaml here` : ""}\n`);
        return 2;
    }
    const run = await runUnderMocks(stack, {}, {
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
    const { text, ok } = planReport(stack, run);
    process.stdout.write(text);
    return ok ? 0 : 1;
}

main().then(
    (code) => process.exit(code),
    (e) => {
        process.stderr.write(`plan failed: ${e instanceof Error ? e.stack : String(e)}\n`);
        process.exit(1);
    },
);
