/**
 * The ACA job spec, rendered purely (components/plan/containerAppsJob.ts), against what the worker and ACA need:
 * the worker's own flag table (consumer/src/options.ts) and credential choice (consumer/src/connect.ts) read the
 * rendered args and env exactly as a replica would.
 */
// The consumer's own commander (14), the one options.ts builds on; the root has an unrelated 2.x hoisted.
import { Command } from "../consumer/node_modules/commander";
import { CONTRACT_ENV } from "../components/plan/contract";
import { describe, expect, it } from "vitest";
import { containerAppsIdentityProblem } from "../consumer/src/connect";
import { FLAGS, addFlags, keyOf, resolveFlags } from "../consumer/src/options";
import { workloadContainerAppsSchema, type ContainerAppsWorkload } from "../components/config/containerApps";
import { workloadSchema } from "../components/config/workloads";
import { acaMemory, coresAtMax, renderContainerAppsJob as renderSettings, type ContainerAppsJobInputs } from "../components/plan/containerAppsJob";
import { containerAppsJobSettings } from "../components/stackArgs";

/** Config → the job's settings (the stack's mapping, components/stackArgs.ts) → the rendered job. */
const renderContainerAppsJob = (w: ContainerAppsWorkload, i: ContainerAppsJobInputs) => renderSettings(containerAppsJobSettings(w), i);

const WORKER_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/kedascale-aca-worker";
const SCALER_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/kedascale-aca-worker-scaler";
const WORKER_CLIENT = "11111111-2222-4333-8444-555555555555";

function workload(over: Record<string, unknown> = {}, aca: Record<string, unknown> = {}): ContainerAppsWorkload {
    const w = workloadSchema.parse({ name: "worker", kind: "job", resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "1Gi" } }, maxReplicaCount: 50, ...over });
    return { ...w, platform: "containerApps", containerApps: workloadContainerAppsSchema.parse(aca) };
}

function inputs(kind: "serviceBus" | "storageQueue"): ContainerAppsJobInputs {
    return {
        broker: { kind, entity: { queue: "jobs" }, resourceName: kind === "serviceBus" ? "kedascale-aca-1a2b3c" : "kedascaleq1a2b3c", lockDurationMs: 60_000, maxDeliveryCount: 10 },
        results: { account: "kedascaleres1a2b3c", container: "results" },
        image: "kedascaleacr1a2b3c.azurecr.io/kedascale-worker@sha256:" + "a".repeat(64),
        registryServer: "kedascaleacr1a2b3c.azurecr.io",
        workerIdentity: { id: WORKER_ID, clientId: WORKER_CLIENT },
        scalerIdentity: { id: SCALER_ID },
    };
}

/** What the worker process resolves from the replica's args and env, through its own flag table. */
function workerSees(spec: ReturnType<typeof renderContainerAppsJob>) {
    const [container] = spec.template.containers;
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.value]));
    expect(container.args![0]).toBe("work");
    const cmd = addFlags(new Command("work").exitOverride(), "work");
    cmd.parse(container.args!.slice(1), { from: "user" });
    const resolved = resolveFlags(cmd, "work", env);
    if ("errors" in resolved) throw new Error(resolved.errors.join("; "));
    const byEnv = (name: string) => resolved.values[keyOf(FLAGS.find((f) => f.env === name && f.commands.includes("work"))!)];
    return { env, resolved, byEnv };
}

describe("the ACA job runs the worker so each execution consumes its message (the seed's endless re-trigger, fixed)", () => {
    it("runs `work --once`: one message per execution, completed or parked, so the scale rule stops seeing it", () => {
        const spec = renderContainerAppsJob(workload(), inputs("serviceBus"));
        expect(spec.template.containers[0].args).toEqual(["work", "--once"]);
        const { resolved } = workerSees(spec);
        expect(resolved.values.once).toBe(true);
        expect(resolved.values.drain).toBe(false);
    });

    it("every KEDASCALE_* variable it sets is a flag of `work` or a contract variable, and together they locate the queue, the results and the queue's limits", () => {
        for (const kind of ["serviceBus", "storageQueue"] as const) {
            const spec = renderContainerAppsJob(workload(), inputs(kind));
            const { env, byEnv } = workerSees(spec);
            for (const name of Object.keys(env).filter((n) => n.startsWith("KEDASCALE_"))) {
                const contract = CONTRACT_ENV.some((c) => c.name === name);
                expect(contract || FLAGS.some((f) => f.env === name && f.commands.includes("work")), `${name} is neither read by the worker nor in the contract`).toBe(true);
            }
            expect(byEnv("KEDASCALE_BROKER")).toBe(kind);
            expect(byEnv("KEDASCALE_QUEUE")).toBe("jobs");
            expect(byEnv(kind === "serviceBus" ? "KEDASCALE_SERVICEBUS_NAMESPACE" : "KEDASCALE_STORAGE_ACCOUNT")).toBe(inputs(kind).broker.resourceName);
            expect(byEnv("KEDASCALE_RESULTS_ACCOUNT")).toBe("kedascaleres1a2b3c");
            expect(byEnv("KEDASCALE_RESULTS_CONTAINER")).toBe("results");
            // The worker must renew inside the queue's lock and park at its delivery limit, not the flag defaults.
            expect(byEnv("KEDASCALE_LOCK_DURATION_MS")).toBe(60_000);
            expect(byEnv("KEDASCALE_MAX_DELIVERY_COUNT")).toBe(10);
            // No connection string reaches the worker: it authenticates with the identity.
            expect(byEnv("KEDASCALE_CONNECTION_STRING")).toBeUndefined();
            expect(byEnv("KEDASCALE_RESULTS_CONNECTION_STRING")).toBeUndefined();
        }
    });

    it("`job.mode: drain` runs `work --drain` instead", () => {
        const spec = renderContainerAppsJob(workload({ job: { mode: "drain" } }), inputs("serviceBus"));
        expect(spec.template.containers[0].args).toEqual(["work", "--drain"]);
    });
});

describe("identity: the worker gets the worker identity's token and nothing else", () => {
    it("AZURE_CLIENT_ID is the worker identity's client id, which is what connect.ts needs in ACA", () => {
        const spec = renderContainerAppsJob(workload(), inputs("serviceBus"));
        const { env } = workerSees(spec);
        expect(env.AZURE_CLIENT_ID).toBe(WORKER_CLIENT);
        // What ACA injects into a job replica with a managed identity (CONTAINER_APP_JOB_NAME, IDENTITY_ENDPOINT/HEADER).
        const replica: Record<string, string> = { ...env, CONTAINER_APP_JOB_NAME: "worker", IDENTITY_ENDPOINT: "http://localhost:42356/msi/token", IDENTITY_HEADER: "h" };
        expect(containerAppsIdentityProblem(replica)).toBeUndefined();
        // Without the client id the worker refuses to start rather than pick some identity.
        const { AZURE_CLIENT_ID: _dropped, ...withoutClientId } = replica;
        expect(containerAppsIdentityProblem(withoutClientId)).toMatch(/AZURE_CLIENT_ID/);
    });

    it("both identities are assigned, the scaler's with lifecycle None (never available to the container), the worker's Main", () => {
        const spec = renderContainerAppsJob(workload(), inputs("serviceBus"));
        expect(spec.identity).toEqual({ type: "UserAssigned", userAssignedIdentities: [WORKER_ID, SCALER_ID] });
        expect(spec.configuration.identitySettings).toEqual([
            { identity: WORKER_ID, lifecycle: "Main" },
            { identity: SCALER_ID, lifecycle: "None" },
        ]);
    });

    it("the image is pulled from our ACR by the worker identity: no username, no password secret", () => {
        const spec = renderContainerAppsJob(workload(), inputs("serviceBus"));
        expect(spec.configuration.registries).toEqual([{ server: "kedascaleacr1a2b3c.azurecr.io", identity: WORKER_ID }]);
        expect(spec.template.containers[0].image.startsWith("kedascaleacr1a2b3c.azurecr.io/")).toBe(true);
        expect(spec.template.containers[0].image).toMatch(/@sha256:[0-9a-f]{64}$/);
    });
});

describe("event trigger and scale rule", () => {
    it("Service Bus: type azure-servicebus, KEDA's metadata as strings (namespace required with identity), authenticated by the scaler identity, no auth", () => {
        const spec = renderContainerAppsJob(workload({ activation: 2, pollingInterval: 60 }), inputs("serviceBus"));
        expect(spec.configuration.triggerType).toBe("Event");
        const scale = spec.configuration.eventTriggerConfig.scale;
        expect(scale).toMatchObject({ minExecutions: 0, maxExecutions: 50, pollingInterval: 60 });
        expect(scale.rules).toEqual([
            { name: "queue", type: "azure-servicebus", metadata: { queueName: "jobs", namespace: "kedascale-aca-1a2b3c", messageCount: "1", activationMessageCount: "2" }, identity: SCALER_ID },
        ]);
        expect("auth" in scale.rules[0]).toBe(false);
        for (const v of Object.values(scale.rules[0].metadata)) expect(typeof v).toBe("string");
    });

    it("Storage: type azure-queue with accountName (required with identity) and queueLength from target", () => {
        const spec = renderContainerAppsJob(workload({ target: 3 }, { parallelism: 3, replicaCompletionCount: 3 }), inputs("storageQueue"));
        expect(spec.configuration.eventTriggerConfig).toEqual({
            parallelism: 3,
            replicaCompletionCount: 3,
            scale: {
                minExecutions: 0,
                maxExecutions: 50,
                pollingInterval: 30,
                rules: [{ name: "queue", type: "azure-queue", metadata: { queueName: "jobs", accountName: "kedascaleq1a2b3c", queueLength: "3", activationQueueLength: "0" }, identity: SCALER_ID }],
            },
        });
    });

    it("replica timeout and retry limit come from job.activeDeadlineSeconds and job.backoffLimit; the job runs on the Consumption profile", () => {
        const spec = renderContainerAppsJob(workload({ job: { activeDeadlineSeconds: 600, backoffLimit: 1 } }), inputs("serviceBus"));
        expect(spec.configuration.replicaTimeout).toBe(600);
        expect(spec.configuration.replicaRetryLimit).toBe(1);
        expect(spec.workloadProfileName).toBe("Consumption");
    });

    it("nothing in the job is a secret: no secrets, secretRef, auth, username or passwordSecretRef anywhere", () => {
        const text = JSON.stringify(renderContainerAppsJob(workload(), inputs("serviceBus")));
        for (const field of ["secrets", "secretRef", "\"auth\"", "username", "passwordSecretRef", "connection", "SharedAccessKey", "AccountKey"]) expect(text).not.toContain(field);
    });
});

describe("resources", () => {
    it("requests become ACA's allocation: cores as a number, memory in Gi", () => {
        expect(renderContainerAppsJob(workload(), inputs("serviceBus")).template.containers[0].resources).toEqual({ cpu: 0.5, memory: "1Gi" });
        expect(renderContainerAppsJob(workload({ resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "512Mi" } } }), inputs("serviceBus")).template.containers[0].resources).toEqual({ cpu: 0.25, memory: "0.5Gi" });
        expect(renderContainerAppsJob(workload({ resources: { requests: { cpu: "1.5", memory: "3072Mi" }, limits: { memory: "3072Mi" } } }), inputs("serviceBus")).template.containers[0].resources).toEqual({ cpu: 1.5, memory: "3Gi" });
        expect(acaMemory(3.5)).toBe("3.5Gi");
    });

    it("cores at full scale are maxExecutions × parallelism × cpu", () => {
        expect(coresAtMax(containerAppsJobSettings(workload({ maxReplicaCount: 40 }, { parallelism: 2, replicaCompletionCount: 1 })))).toBe(40);
    });
});
