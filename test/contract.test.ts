/**
 * The contract a consumer relies on (issue 21 point 4): docs/bring-your-own-worker.md's table is CONTRACT_ENV, row for
 * row; every variable a stack renders into a workload's container is in it (or the workload's own env); and every
 * literal contract variable is rendered by some stack (or the topic case), so the table documents nothing that does
 * not exist. The webhook's AZURE_* variables are not rendered on AKS: the pods carry the label and the ServiceAccount
 * the client id that make the webhook inject them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CONTRACT_ENV, WORKLOAD_IDENTITY_ENV } from "../components/plan/contract";
import { runProgram, type ProgramRun, type RecordedResource } from "./harness/runProgram";
import { readStackFile, REPO_ROOT, stackNames } from "./harness/stackConfig";

const doc = readFileSync(join(REPO_ROOT, "docs", "bring-your-own-worker.md"), "utf8");

/** Every workload container the program renders: ScaledJob and Deployment pods, ACA job containers (not load templates). */
function containers(run: ProgramRun): { where: string; env: { name: string }[]; pod?: RecordedResource; labels?: Record<string, string>; serviceAccount?: string; namespace?: string }[] {
    const out: ReturnType<typeof containers> = [];
    for (const r of run.resources) {
        if (r.type === "kubernetes:keda.sh/v1alpha1:ScaledJob") {
            const t = r.inputs.spec.jobTargetRef.template;
            out.push({ where: r.name, env: t.spec.containers[0].env, labels: t.metadata.labels, serviceAccount: t.spec.serviceAccountName, namespace: r.inputs.metadata.namespace });
        } else if (r.type === "kubernetes:apps/v1:Deployment" && r.name.startsWith("workload-")) {
            const t = r.inputs.spec.template;
            out.push({ where: r.name, env: t.spec.containers[0].env, labels: t.metadata.labels, serviceAccount: t.spec.serviceAccountName, namespace: r.inputs.metadata.namespace });
        } else if (r.type === "azure-native:app:Job") {
            out.push({ where: r.name, env: r.inputs.template.containers[0].env });
        }
    }
    return out;
}

describe("the contract table", () => {
    it("in docs/bring-your-own-worker.md is CONTRACT_ENV, row for row", () => {
        const rows = doc.split("\n").filter((l) => /^\| `[A-Z_]+` \|/.test(l));
        expect(rows).toEqual(CONTRACT_ENV.map((v) => `| \`${v.name}\` | ${v.when} | ${v.meaning} |`));
    });
});

describe("what the stacks render", () => {
    const runs = new Map<string, ProgramRun>();
    beforeAll(async () => {
        for (const stack of stackNames()) runs.set(stack, await runProgram(stack));
        // No stack file reads a topic: render that case too.
        runs.set(
            "dev+topic",
            await runProgram("dev", {
                "kedascale:messaging": { broker: "serviceBus" },
                "kedascale:workloads": [{ name: "billing", kind: "job", maxReplicaCount: 5, resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } }, topic: { name: "orders", subscription: "billing" }, image: `mcr.microsoft.com/team/app@sha256:${"0".repeat(64)}` }],
            }),
        );
        // No stack file puts a virtual-node workload on a Storage queue (its -poison SAS): render that case too.
        runs.set("dev+aciStorage", await runProgram("dev", { "kedascale:messaging": { broker: "serviceBus", virtualNodes: { acceptLocalAuth: true, broker: "storageQueue" } } }));
    }, 600_000);

    it("puts in a workload's container only contract variables and the workload's own env", () => {
        const contract = new Set(CONTRACT_ENV.map((v) => v.name));
        for (const [stack, run] of runs) {
            const own = new Set(((readStackFile(stack.split("+")[0])["kedascale:workloads"] ?? []) as { env?: Record<string, string> }[]).flatMap((w) => Object.keys(w.env ?? {})));
            for (const c of containers(run)) for (const e of c.env) expect(contract.has(e.name) || own.has(e.name), `${stack} ${c.where}: ${e.name}`).toBe(true);
        }
    });

    it("renders every contract variable somewhere, except the webhook's, which AKS pods are labelled to receive", () => {
        const rendered = new Set([...runs.values()].flatMap((run) => containers(run).flatMap((c) => c.env.map((e) => e.name))));
        const webhook = new Set<string>(WORKLOAD_IDENTITY_ENV.filter((n) => n !== "AZURE_CLIENT_ID"));
        expect(CONTRACT_ENV.map((v) => v.name).filter((n) => !rendered.has(n) && !webhook.has(n))).toEqual([]);
        for (const [stack, run] of runs) {
            for (const c of containers(run)) {
                if (c.labels?.["azure.workload.identity/use"] !== "true") continue;
                // The webhook injects AZURE_* only into labelled pods whose ServiceAccount names a client id.
                const sa = run.ofType("kubernetes:core/v1:ServiceAccount").find((s) => s.inputs.metadata.name === c.serviceAccount && s.inputs.metadata.namespace === c.namespace)!;
                expect(sa.inputs.metadata.annotations?.["azure.workload.identity/client-id"], `${stack} ${c.where}`).toBeDefined();
                for (const n of WORKLOAD_IDENTITY_ENV) expect(c.env.map((e) => e.name), `${stack} ${c.where} must not set ${n} itself`).not.toContain(n);
            }
        }
    });
});
