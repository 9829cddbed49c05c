/** `tsx test/images/discoverStack.ts <stack>`: prints `{ builds, error? }`, the images one stack's program builds (discover.ts). */
import { runOffline } from "../harness/offlineProgram";
import { REPO_ROOT } from "../harness/stackConfig";
import { buildsOf } from "./discover";

async function main(stack: string): Promise<void> {
    const run = await runOffline(stack, {});
    const error = run.error === undefined ? undefined : run.error instanceof Error ? run.error.message : String(run.error);
    process.stdout.write(JSON.stringify({ builds: buildsOf(stack, run.resources, REPO_ROOT), ...(error ? { error } : {}) }) + "\n");
}

main(process.argv[2]!).then(
    () => process.exit(0),
    (e) => {
        process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
        process.exit(1);
    },
);
