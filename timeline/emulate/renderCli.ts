/**
 * Child process of the emulation: runs the real index.ts with a real stack file under the tests' Pulumi mocks (as
 * `npm run plan` does: tsx, no vitest) and prints, as one JSON line on stdout, every rendered keda.sh/v1alpha1 object
 * and every Deployment and CronJob (the load template) — exactly the inputs the program would send to the cluster.
 * A separate process because Pulumi's runtime is global state: the emulation (or a test) stays free of it.
 *   tsx timeline/emulate/renderCli.ts <stack> [overrides JSON]
 */
import { runOffline } from "../../test/harness/offlineProgram";
import type { RenderedStack } from "./rendered";

/** Typed Kubernetes resources register without apiVersion/kind in their inputs: the type token says them. */
const K8S_KINDS: Record<string, { apiVersion: string; kind: string } | undefined> = {
    "kubernetes:apps/v1:Deployment": { apiVersion: "apps/v1", kind: "Deployment" },
    "kubernetes:batch/v1:CronJob": { apiVersion: "batch/v1", kind: "CronJob" },
};

async function main(): Promise<void> {
    const [stack, overridesJson] = process.argv.slice(2);
    const overrides = overridesJson ? (JSON.parse(overridesJson) as Record<string, unknown>) : {};
    const run = await runOffline(stack, overrides);
    const out: RenderedStack = {
        stack,
        error: run.error ? String((run.error as Error).message ?? run.error) : undefined,
        objects: run.resources
            .filter((r) => r.type.startsWith("kubernetes:keda.sh/v1alpha1:") || K8S_KINDS[r.type] !== undefined)
            .map((r) => ({ apiVersion: r.inputs.apiVersion ?? K8S_KINDS[r.type]!.apiVersion, kind: r.inputs.kind ?? K8S_KINDS[r.type]!.kind, metadata: r.inputs.metadata, spec: r.inputs.spec })),
    };
    process.stdout.write(JSON.stringify(out) + "\n");
}

main().then(
    () => process.exit(0),
    (e) => {
        process.stderr.write(`render failed: ${e instanceof Error ? e.stack : String(e)}\n`);
        process.exit(1);
    },
);
