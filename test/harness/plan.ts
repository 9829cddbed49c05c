/**
 * `npm run plan -- <stack>`: the preview without an Azure account. Runs the real index.ts with the real
 * Pulumi.<stack>.yaml under the same mocks the tests use, prints what it would create, the quota it needs,
 * every warning and every preflight error, and exits 1 when the stack would not deploy.
 */
import { runOffline } from "./offlineProgram";
import { planReport } from "./planReport";
import { stackNames } from "./stackConfig";

async function main(): Promise<number> {
    const stack = process.argv[2];
    const stacks = stackNames();
    if (!stack || stack.startsWith("-") || !stacks.includes(stack)) {
        process.stderr.write(`usage: npm run plan -- <stack>\n  stacks in this repo: ${stacks.join(", ")}${stack ? `\n  no Pulumi.${stack}.yaml here` : ""}\n`);
        return 2;
    }
    const run = await runOffline(stack, {});
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
