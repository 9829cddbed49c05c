/**
 * `npm run plan -- <stack>` is the preview for people without an Azure account: for every stack file it must
 * run the real program, show what it creates and the quota it needs, and fail (exit 1) listing every preflight
 * error when the config would not deploy.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { planReport } from "./harness/planReport";
import { settleProgram } from "./harness/runProgram";
import { REPO_ROOT, stackNames } from "./harness/stackConfig";

const run = promisify(execFile);
const tsx = join(REPO_ROOT, "node_modules", ".bin", "tsx");

async function plan(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
        const { stdout, stderr } = await run(tsx, ["test/harness/plan.ts", ...args], { cwd: REPO_ROOT, timeout: 60_000 });
        return { code: 0, stdout, stderr };
    } catch (e: any) {
        return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
    }
}

describe.each(stackNames())("npm run plan -- %s", (stack) => {
    it("exits 0 and prints the resource tree by component, the quota to request and the warnings", async () => {
        const { code, stdout, stderr } = await plan(stack);
        expect(stderr).not.toMatch(/plan failed/);
        expect(code).toBe(0);
        expect(stdout).toContain(`kedascale plan for stack "${stack}"`);
        // Components as branches, their Azure children under them with the names Azure will see.
        if (stdout.includes("kedascale:azure:AksCluster")) {
            expect(stdout).toMatch(/├─ kedascale:azure:AksCluster {2}cluster\n( {2}│ {2}[├└]─ .*\n)+/);
            expect(stdout).toMatch(/containerservice:ManagedCluster {2}cluster-aks {2}\(kedascale-[a-z0-9-]+-aks\)/);
            expect(stdout).toMatch(/regional quota to have approved/);
            expect(stdout).toMatch(/cores: \d+ vCPUs/);
        } else if (!/kedascale:k8s:/.test(stdout)) {
            // A stack without a cluster (every workload on Container Apps): jobs and the environment's core quota instead.
            expect(stdout).toMatch(/├─ kedascale:aca:ContainerAppsJob {2}aca-[a-z0-9-]+\n( {2}│ {2}[├└]─ .*\n)+/);
            expect(stdout).toMatch(/app:Job {2}aca-[a-z0-9-]+-job {2}\([a-z0-9-]+\)/);
            expect(stdout).toMatch(/cores at max executions: \d+(\.\d+)? of the environment's core quota \d+/);
            expect(stdout).not.toMatch(/ManagedCluster|helm|kubernetes:/);
        }
        expect(stdout).toMatch(/^Warnings: none$|^Warnings \(\d+\):$/m);
    });
});

describe("plan of a config preflight refuses", () => {
    it("lists every error with its key and fix, and reports that nothing would deploy", async () => {
        const settled = await settleProgram("dev", {
            "kedascale:namePrefix": "Bad_Prefix!",
            "kedascale:pools": [{ name: "spot", vmSize: "Standard_D2ds_v5", priority: "Spot", minCount: 3, maxCount: 1 }],
        });
        const { text, ok } = planReport("dev", settled);
        expect(ok).toBe(false);
        expect(text).toContain("Preflight refused this config: nothing would be deployed.");
        expect(text).toContain("kedascale:namePrefix");
        expect(text).toMatch(/kedascale:pools\[0\]\.(minCount|maxCount)/);
        expect(text).toMatch(/Fix: /);
        expect(text).not.toContain("Resources (");
    });
});

describe("plan's command line", () => {
    it("refuses an unknown stack with exit 2 and lists the stacks that exist", async () => {
        const { code, stderr } = await plan("no-such-stack");
        expect(code).toBe(2);
        expect(stderr).toContain("no Pulumi.no-such-stack.yaml here");
        for (const s of stackNames()) expect(stderr).toContain(s);
    });
});
