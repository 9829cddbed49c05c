/**
 * Issue 21 on every stack file, under mocks: each workload reads its own queue or subscription, which the program
 * creates; every grant on it is the one the plan (`workloads` output, `npm run plan`) prints, held by that workload's
 * identity (or KEDA's) and scoped to that entity or the results container — nothing more is granted to it; the pods
 * or the ACA job run the configured image and carry the contract environment of that entity.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ROLES } from "../components/azure/roles";
import type { WorkloadSummary } from "../components/plan/workloadSummary";
import { ROLE_DISPLAY } from "../components/plan/workloadSummary";
import { runProgram, type ProgramRun, type RecordedResource } from "./harness/runProgram";
import { readStackFile, stackNames } from "./harness/stackConfig";
import { fakeGuid } from "./harness/mockState";

type Workload = { name: string; kind: string; platform?: string; placement?: string; queue?: string; topic?: { name: string; subscription: string }; image?: unknown; handler?: { http?: unknown } };

const ROLE_GUID: Record<string, string> = Object.fromEntries(Object.entries(ROLE_DISPLAY).map(([key, display]) => [display, ROLES[key as keyof typeof ROLES]]));
const roleGuid = (r: RecordedResource) => String(r.inputs.roleDefinitionId).split("/").pop();

/** The container a workload's pods (or ACA replicas) run, whichever object carries it. */
function containerOf(run: ProgramRun, w: Workload): { image: string; env: { name: string; value?: string; valueFrom?: unknown }[]; command?: string[]; args?: string[] } {
    if (w.platform === "containerApps") return run.ofType("azure-native:app:Job").find((j) => j.inputs.jobName === w.name)!.inputs.template.containers[0];
    const scaled = run.resources.find((r) => r.type === `kubernetes:keda.sh/v1alpha1:${w.kind === "job" ? "ScaledJob" : "ScaledObject"}` && r.inputs.metadata.name === w.name)!;
    const template = w.kind === "job" ? scaled.inputs.spec.jobTargetRef.template : run.ofType("kubernetes:apps/v1:Deployment").find((d) => d.inputs.metadata.name === w.name)!.inputs.spec.template;
    return template.spec.containers[0];
}

/** An http handler's container: a Job's native sidecar (initContainers) or a Deployment's second container. */
function handlerContainerOf(run: ProgramRun, w: Workload): { image: string } {
    const scaled = run.resources.find((r) => r.type === `kubernetes:keda.sh/v1alpha1:${w.kind === "job" ? "ScaledJob" : "ScaledObject"}` && r.inputs.metadata.name === w.name)!;
    const template = w.kind === "job" ? scaled.inputs.spec.jobTargetRef.template : run.ofType("kubernetes:apps/v1:Deployment").find((d) => d.inputs.metadata.name === w.name)!.inputs.spec.template;
    return [...(template.spec.initContainers ?? []), ...template.spec.containers].find((c: { name: string }) => c.name === "handler");
}

/** The Azure name of the resource a grant is scoped to, and its type, in the words the plan uses. */
function scopeWords(run: ProgramRun, r: RecordedResource): string {
    const target = run.byId(r.inputs.scope)!;
    if (target.type.endsWith(":BlobContainer")) return `results container "${target.inputs.containerName}"`;
    if (target.type === "azure-native:servicebus:Subscription") return `subscription "${target.inputs.subscriptionName}" of topic "${run.byId(target.inputs.topicName)?.inputs.topicName ?? target.inputs.topicName}"`;
    if (target.type === "azure-native:servicebus:Topic") return `topic "${target.inputs.topicName}"`;
    return `queue "${target.inputs.queueName}"`;
}

describe.each(stackNames())("stack %s: each workload on its own entity", (stack) => {
    let run: ProgramRun;
    let summaries: WorkloadSummary[];
    const workloads = (readStackFile(stack)["kedascale:workloads"] ?? []) as Workload[];
    beforeAll(async () => {
        run = await runProgram(stack);
        summaries = run.outputs.workloads as WorkloadSummary[];
    });

    it("has one plan entry per workload, and no two workloads read one entity (none of the stacks opts in to sharing)", () => {
        expect(summaries.map((s) => s.workload)).toEqual(workloads.map((w) => w.name));
        const entities = summaries.map((s) => `${s.entity.in}/${s.entity.what}`);
        expect(new Set(entities).size).toBe(entities.length);
    });

    it.each(workloads.map((w) => [w.name, w] as const))("workload %s: its entity exists and its pods carry its coordinates", (name, w) => {
        const s = summaries.find((x) => x.workload === name)!;
        const queue = w.topic ? undefined : (w.queue ?? name);
        if (stack === "local") {
            // Azurite's queues are created by the setup Job (plan/azuriteSetup.ts), not by ARM.
            const setup = run.one("kubernetes:batch/v1:Job", "azurite-setup").inputs.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === "QUEUES").value.split(",");
            expect(setup).toEqual(expect.arrayContaining([queue, `${queue}-poison`]));
        } else if (queue !== undefined) {
            const type = s.entity.broker === "serviceBus" ? "azure-native:servicebus:Queue" : "azure-native:storage:Queue";
            expect(run.ofType(type).map((q) => q.inputs.queueName), `${type} ${queue}`).toContain(queue);
            if (s.entity.broker === "storageQueue") expect(run.ofType(type).map((q) => q.inputs.queueName)).toContain(`${queue}-poison`);
        } else {
            expect(run.ofType("azure-native:servicebus:Subscription").map((x) => x.inputs.subscriptionName)).toContain(w.topic!.subscription);
        }
        const env = Object.fromEntries(containerOf(run, w).env.map((e) => [e.name, e.value]));
        expect(env.KEDASCALE_BROKER).toBe(s.entity.broker);
        if (queue !== undefined) expect(env.KEDASCALE_QUEUE).toBe(queue);
        else expect([env.KEDASCALE_TOPIC, env.KEDASCALE_SUBSCRIPTION]).toEqual([w.topic!.name, w.topic!.subscription]);
        expect(env[s.entity.broker === "serviceBus" ? "KEDASCALE_DEAD_LETTER_QUEUE" : "KEDASCALE_POISON_QUEUE"]).toBe(s.entity.deadLetter);
    });

    it.each(workloads.map((w) => [w.name, w] as const))("workload %s: the grants the plan prints are exactly the ones registered, each scoped to its entity or the results container", (name) => {
        const s = summaries.find((x) => x.workload === name)!;
        const identities = new Map(run.ofType("azure-native:managedidentity:UserAssignedIdentity").map((i) => [i.inputs.resourceName as string, i]));
        for (const g of s.grants) {
            // Each printed grant is a registered RoleAssignment: that identity's principal, that role, that scope.
            const identity = identities.get(g.to);
            expect(identity, `identity ${g.to}`).toBeDefined();
            const held = run.ofType("azure-native:authorization:RoleAssignment").filter((r) => r.inputs.principalId === principalOf(identity!));
            const match = held.filter((r) => roleGuid(r) === ROLE_GUID[g.role] && (g.role === "AcrPull" || scopeWords(run, r) === g.on));
            expect(match.length, `${g.to}: ${g.role} on ${g.on}`).toBeGreaterThan(0);
        }
        // And nothing on a broker entity beyond them: for this workload's own identities, every registered grant is printed.
        for (const r of run.ofType("azure-native:authorization:RoleAssignment")) {
            const owner = [...identities.values()].find((i) => principalOf(i) === r.inputs.principalId);
            if (!owner || owner.inputs.resourceName === undefined || !s.grants.some((g) => g.to === owner.inputs.resourceName) || String(owner.inputs.resourceName).endsWith("-keda")) continue;
            const words = roleGuid(r) === ROLES.acrPull ? undefined : scopeWords(run, r);
            const printed = s.grants.some((g) => g.to === owner.inputs.resourceName && ROLE_GUID[g.role] === roleGuid(r) && (words === undefined || g.on === words));
            expect(printed, `${owner.inputs.resourceName}: ${roleGuid(r)} on ${words}`).toBe(true);
        }
        expect(s.grants.length > 0 || s.credential !== undefined).toBe(true);
    });

    it.each(workloads.map((w) => [w.name, w] as const))("workload %s: runs the configured image", (name, w) => {
        // With handler.http the configured image is the handler's container; the worker's runs the stack's worker image.
        const c = w.handler?.http ? handlerContainerOf(run, w) : containerOf(run, w);
        if (w.handler?.http) expect(containerOf(run, w).image).toBe(run.outputs.workerImage);
        const image = w.image as string | { ref: string } | { build: { context: string } } | undefined;
        if (image === undefined) expect(c.image).toBe(run.outputs.workerImage);
        else if (typeof image === "object" && "build" in image) expect(c.image).toMatch(new RegExp(`/${name}@sha256:[0-9a-f]{64}$`));
        else expect(c.image).toBe(typeof image === "string" ? image : image.ref);
    });
});

/** The principal id the mocks give an identity (test/harness/mockState.ts: derived from its Azure name). */
const principalOf = (identity: RecordedResource): string => fakeGuid(`principal/${identity.inputs.resourceName}`);
