/**
 * The GitHub Actions workflow runs tests through `.ci/run` (the one definition of "test", which
 * setupCommands.test.ts ties to README) on every push and pull request, and previews every stack file with the
 * policy pack, only where credentials exist and without any client secret.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { clusterKind, REPO_ROOT, stackNames } from "./harness/stackConfig";

const workflow = parse(readFileSync(join(REPO_ROOT, ".github", "workflows", "ci.yml"), "utf8"));
const steps = (job: string): Record<string, any>[] => workflow.jobs[job].steps;
const runs = (job: string): string[] => steps(job).flatMap((s) => (typeof s.run === "string" ? [s.run] : []));

describe(".github/workflows/ci.yml", () => {
    it("runs on every push and every pull request", () => {
        expect(Object.keys(workflow.on).sort()).toEqual(["pull_request", "push"]);
        expect(workflow.on.push).toBeNull();
        expect(workflow.on.pull_request).toBeNull();
    });

    it("tests by calling .ci/run, not by re-listing its commands, on the Node version of .nvmrc", () => {
        expect(runs("test")).toEqual(["bash .ci/run"]);
        expect(steps("test").find((s) => String(s.uses).startsWith("actions/setup-node"))!.with).toMatchObject({ "node-version-file": ".nvmrc" });
    });

    it("previews every Pulumi.<stack>.yaml with the policy pack, after the tests pass", () => {
        const job = workflow.jobs.preview;
        expect(job.needs).toBe("test");
        // A stack that brings its own cluster reads it at preview: it previews only in a subscription where that
        // cluster exists, so CI (any fork's subscription) leaves it to its owner; its tests run above like every stack's.
        // The local stack needs a laptop cluster in the kubeconfig and a local registry, which CI has neither of.
        expect([...job.strategy.matrix.stack].sort()).toEqual(stackNames().filter((s) => clusterKind(s) !== "existing" && clusterKind(s) !== "local"));
        const preview = runs("preview").find((r) => r.startsWith("pulumi preview"))!;
        expect(preview).toMatch(/--stack "\$STACK"/);
        expect(preview).toMatch(/--policy-pack \.\/policy\b/);
        expect(steps("preview").find((s) => s.run === preview)!.env.STACK).toContain("matrix.stack");
    });

    it("runs the preview only where PULUMI_ACCESS_TOKEN and the Azure ids are configured", () => {
        expect(workflow.jobs.preview.env.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_ACCESS_TOKEN }}");
        const [gate, ...rest] = steps("preview");
        expect(gate.run).toMatch(/-n "\$PULUMI_ACCESS_TOKEN"/);
        expect(gate.run).toMatch(/vars.AZURE_CLIENT_ID/);
        for (const s of rest) expect(s.if).toBe("steps.gate.outputs.enabled == 'true'");
    });

    it("logs in to Azure over OIDC (id-token: write, azure/login with ids only): no client secret or credentials JSON", () => {
        expect(workflow.jobs.preview.permissions).toMatchObject({ "id-token": "write" });
        const login = steps("preview").find((s) => String(s.uses).startsWith("azure/login@"))!;
        expect(Object.keys(login.with).sort()).toEqual(["client-id", "subscription-id", "tenant-id"]);
        expect(readFileSync(join(REPO_ROOT, ".github", "workflows", "ci.yml"), "utf8")).not.toMatch(/client-secret|creds:|AZURE_CREDENTIALS|ARM_CLIENT_SECRET/);
        expect(workflow.permissions).toEqual({ contents: "read" });
    });
});
