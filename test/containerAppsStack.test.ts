/**
 * The Azure Container Apps target under Pulumi mocks: the real index.ts with the real Pulumi.aca.yaml (and
 * overrides). What a user relies on: no AKS at all; a job whose trigger, scale rule and registry authenticate with
 * identities; grants that are exactly what `work --once` needs to complete a message (receive + complete/delete,
 * write the result blob, park to the poison queue or dead-letter), each scoped to one queue, container or registry;
 * and no secret anywhere.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ROLES } from "../components/azure/roles";
import { fakeGuid } from "./harness/mockState";
import { runProgram, type ProgramRun, type RecordedResource } from "./harness/runProgram";

const T = {
    job: "azure-native:app:Job",
    env: "azure-native:app:ManagedEnvironment",
    workspace: "azure-native:operationalinsights:Workspace",
    diag: "azure-native:monitor:DiagnosticSetting",
    identity: "azure-native:managedidentity:UserAssignedIdentity",
    role: "azure-native:authorization:RoleAssignment",
    acr: "azure-native:containerregistry:Registry",
    sbNamespace: "azure-native:servicebus:Namespace",
    sbQueue: "azure-native:servicebus:Queue",
    stQueue: "azure-native:storage:Queue",
    container: "azure-native:storage:BlobContainer",
    subnet: "azure-native:network:Subnet",
    vnet: "azure-native:network:VirtualNetwork",
};
const roleGuid = (r: RecordedResource) => String(r.inputs.roleDefinitionId).split("/").pop();

/** Every grant of one principal as "role → scope resource type/name". */
function grantsOf(run: ProgramRun, principalId: string): string[] {
    return run
        .ofType(T.role)
        .filter((r) => r.inputs.principalId === principalId)
        .map((r) => {
            const role = Object.entries(ROLES).find(([, g]) => g === roleGuid(r))![0];
            const target = run.byId(r.inputs.scope);
            expect(target, `${r.name}: scope ${r.inputs.scope} is not a resource of this stack`).toBeDefined();
            return `${role} → ${target!.type.split(":").pop()} ${target!.name}`;
        })
        .sort();
}

function identities(run: ProgramRun) {
    const worker = run.ofType(T.identity).find((i) => i.name.endsWith("-worker-identity"))!;
    const scaler = run.ofType(T.identity).find((i) => i.name.endsWith("-scaler-identity"))!;
    // The mocks compute principal/client ids from the identity's Azure name (test/harness/mockState.ts).
    const state = (i: RecordedResource) => ({ id: i.id, name: i.inputs.resourceName as string });
    return { worker: state(worker), scaler: state(scaler), workerRecord: worker, scalerRecord: scaler };
}

describe("stack aca (Pulumi.aca.yaml): Service Bus, Container Apps only", () => {
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runProgram("aca");
    });

    it("creates no AKS at all: no cluster, node pool, KEDA release, Kubernetes provider or object, node subnet", () => {
        const types = run.resources.map((r) => r.type);
        expect(types.filter((t) => /containerservice|kubernetes|helm/.test(t))).toEqual([]);
        expect(run.ofType(T.vnet)).toEqual([]);
        expect(run.ofType(T.subnet)).toEqual([]);
        expect(run.outputs.clusterName).toBeNull();
        expect(run.outputs.capacity).toBeNull();
        expect(run.warnings).toEqual([]);
    });

    it("creates one Consumption-profile environment with its logs in Log Analytics through Azure Monitor, no workspace key", () => {
        const env = run.one(T.env).inputs;
        expect(env.workloadProfiles).toEqual([{ name: "Consumption", workloadProfileType: "Consumption" }]);
        expect(env.appLogsConfiguration).toEqual({ destination: "azure-monitor" });
        expect(env.vnetConfiguration).toBeUndefined();
        const ws = run.one(T.workspace);
        expect(ws.inputs).toMatchObject({ sku: { name: "PerGB2018" }, retentionInDays: 30, features: { disableLocalAuth: true } });
        const diag = run.one(T.diag).inputs;
        expect(diag.resourceUri).toBe(run.one(T.env).id);
        expect(diag.workspaceId).toBe(ws.id);
        expect(diag.logs).toEqual([{ categoryGroup: "allLogs", enabled: true }]);
    });

    it("the job is event-triggered by an azure-servicebus rule on the stack's queue, authenticated by the scaler identity", () => {
        const job = run.one(T.job).inputs;
        const { scaler } = identities(run);
        expect(job.environmentId).toBe(run.one(T.env).id);
        expect(job.workloadProfileName).toBe("Consumption");
        expect(job.configuration.triggerType).toBe("Event");
        const trigger = job.configuration.eventTriggerConfig;
        expect(trigger).toMatchObject({ parallelism: 1, replicaCompletionCount: 1, scale: { minExecutions: 0, maxExecutions: 50, pollingInterval: 30 } });
        const [rule] = trigger.scale.rules;
        expect(rule.type).toBe("azure-servicebus");
        expect(rule.identity).toBe(scaler.id);
        expect(rule.auth).toBeUndefined();
        expect(rule.metadata).toEqual({ queueName: run.one(T.sbQueue).inputs.queueName, namespace: run.one(T.sbNamespace).inputs.namespaceName, messageCount: "1", activationMessageCount: "0" });
        expect(job.configuration).toMatchObject({ replicaTimeout: 600, replicaRetryLimit: 2 });
    });

    it("pulls the image from the stack's ACR with the worker identity, which holds AcrPull on that registry only", () => {
        const job = run.one(T.job).inputs;
        const { worker } = identities(run);
        expect(job.configuration.registries).toEqual([{ server: `${run.one(T.acr).inputs.registryName}.azurecr.io`, identity: worker.id }]);
        expect(job.template.containers[0].image).toMatch(new RegExp(`^${run.one(T.acr).inputs.registryName}\\.azurecr\\.io/.+@sha256:[0-9a-f]{64}$`));
        expect(job.identity).toEqual({ type: "UserAssigned", userAssignedIdentities: [worker.id, identities(run).scaler.id] });
        expect(job.configuration.identitySettings).toEqual([
            { identity: worker.id, lifecycle: "Main" },
            { identity: identities(run).scaler.id, lifecycle: "None" },
        ]);
    });

    it("grants the worker exactly what `work --once` needs (receive + complete, dead-letter, write the result blob, pull), the scaler only queue metrics, each on one resource", () => {
        // Mock principal ids are derived from the identity's Azure name (test/harness/mockState.ts).
        const { worker: w, scaler: sc } = identities(run);
        const worker = fakeGuid(`principal/${w.name}`);
        const scaler = fakeGuid(`principal/${sc.name}`);
        const queue = run.one(T.sbQueue).name;
        const container = run.one(T.container).name;
        // Service Bus Data Receiver covers receive, complete, abandon, renew and dead-letter on the queue (the worker parks there).
        expect(grantsOf(run, worker)).toEqual([
            `acrPull → Registry ${run.one(T.acr).name}`,
            `serviceBusDataReceiver → Queue ${queue}`,
            `storageBlobDataContributor → BlobContainer ${container}`,
        ]);
        // The scaler reads runtime counts through the management API: Data Owner, on the queue only (FACTS §5, §9).
        expect(grantsOf(run, scaler)).toEqual([`serviceBusDataOwner → Queue ${queue}`]);
    });

    it("runs `work --once` with the env the worker reads: this stack's namespace, queue, results and lock; AZURE_CLIENT_ID = the worker identity", () => {
        const c = run.one(T.job).inputs.template.containers[0];
        expect(c.args).toEqual(["work", "--once"]);
        const env = Object.fromEntries(c.env.map((e: { name: string; value: string }) => [e.name, e.value]));
        expect(env).toMatchObject({
            KEDASCALE_BROKER: "serviceBus",
            KEDASCALE_QUEUE: run.one(T.sbQueue).inputs.queueName,
            KEDASCALE_SERVICEBUS_NAMESPACE: run.one(T.sbNamespace).inputs.namespaceName,
            KEDASCALE_RESULTS_CONTAINER: run.one(T.container).inputs.containerName,
            KEDASCALE_LOCK_DURATION_MS: "60000",
            KEDASCALE_MAX_DELIVERY_COUNT: "10",
        });
        expect(env.KEDASCALE_RESULTS_ACCOUNT).toBe(run.one(T.container).inputs.accountName);
        // The worker identity's client id (the mock derives it from the identity's Azure name), not the scaler's.
        expect(env.AZURE_CLIENT_ID).toBe(fakeGuid(`client/${identities(run).worker.name}`));
        expect(env.AZURE_CLIENT_ID).not.toBe(fakeGuid(`client/${identities(run).scaler.name}`));
        expect(c.resources).toEqual({ cpu: 0.5, memory: "1Gi" });
    });

    it("the job waits for its AcrPull and broker grants, so the first execution does not fail with 401/403", () => {
        const job = run.one(T.job);
        const grants = run.ofType(T.role).map((r) => r.name);
        expect(job.dependsOn.length).toBe(grants.length);
        for (const d of job.dependsOn) expect(grants).toContain(d);
    });

    it("holds no secret anywhere: no secrets, secretRef, scale-rule auth, registry password or workspace key in any input", () => {
        // The image push's registry login is the deployer's short-lived ACR token (README: the one credential, a Pulumi
        // secret); it is not an input of any Azure resource and is checked by test/noSecrets.test.ts.
        const text = JSON.stringify(run.resources.filter((r) => !r.type.startsWith("docker:")).map((r) => r.inputs));
        for (const marker of ["\"secrets\"", "secretRef", "\"auth\"", "passwordSecretRef", "sharedKey", "AccountKey=", "SharedAccessKey=", "\"username\""]) expect(text).not.toContain(marker);
        expect(run.one(T.sbNamespace).inputs.disableLocalAuth).toBe(true);
        expect(run.one(T.acr).inputs.adminUserEnabled).toBe(false);
    });
});

describe("stack aca with a Storage queue", () => {
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runProgram("aca", { "kedascale:messaging": { broker: "storageQueue" } });
    });

    it("scales on azure-queue with accountName, and grants the worker renew/release on the queue, park on the poison queue, results on the container", () => {
        const job = run.one(T.job).inputs;
        const [rule] = job.configuration.eventTriggerConfig.scale.rules;
        const queue = run.ofType(T.stQueue).find((q) => q.inputs.queueName === "worker")!;
        const poison = run.ofType(T.stQueue).find((q) => q.inputs.queueName === "worker-poison")!;
        expect(rule).toMatchObject({ type: "azure-queue", metadata: { queueName: "worker", accountName: queue.inputs.accountName, queueLength: "1", activationQueueLength: "0" } });
        const env = Object.fromEntries(job.template.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
        expect(env).toMatchObject({ KEDASCALE_BROKER: "storageQueue", KEDASCALE_STORAGE_ACCOUNT: queue.inputs.accountName, KEDASCALE_MAX_DELIVERY_COUNT: "5" });
        const byRole = (guid: string) => run.ofType(T.role).filter((r) => roleGuid(r) === guid);
        expect(byRole(ROLES.storageQueueDataContributor).map((r) => r.inputs.scope)).toEqual([queue.id]);
        expect(byRole(ROLES.storageQueueDataMessageSender).map((r) => r.inputs.scope)).toEqual([poison.id]);
        expect(byRole(ROLES.storageQueueDataReader).map((r) => r.inputs.scope)).toEqual([queue.id]);
        expect(byRole(ROLES.storageBlobDataContributor).map((r) => r.inputs.scope)).toEqual([run.one(T.container).id]);
        // The scaler (Reader) and the worker (Contributor + Sender) are different principals.
        expect(byRole(ROLES.storageQueueDataReader)[0].inputs.principalId).not.toBe(byRole(ROLES.storageQueueDataContributor)[0].inputs.principalId);
    });
});

describe("VNet integration in a stack without a cluster", () => {
    it("creates the VNet from network.vnetCidr and a /27 subnet delegated to Microsoft.App/environments, and puts the environment in it", async () => {
        const run = await runProgram("aca", { "kedascale:containerApps": { infrastructureSubnetCidr: "10.226.0.0/27" }, "kedascale:network": { vnetCidr: "10.224.0.0/12" } });
        expect(run.one(T.vnet).inputs.addressSpace).toEqual({ addressPrefixes: ["10.224.0.0/12"] });
        const subnet = run.one(T.subnet);
        expect(subnet.inputs).toMatchObject({ addressPrefix: "10.226.0.0/27", delegations: [{ name: "container-apps", serviceName: "Microsoft.App/environments" }] });
        expect(run.one(T.env).inputs.vnetConfiguration).toEqual({ infrastructureSubnetId: subnet.id, internal: true });
    });
});

describe("AKS and Container Apps workloads in one stack", () => {
    it("keeps the cluster for the AKS workload and runs the ACA workload as a job (no ScaledObject/ScaledJob for it)", async () => {
        const run = await runProgram("dev", {
            // dev's virtual-node broker would have no workload here (a no-effect error): keep only its main broker.
            "kedascale:messaging": { broker: "serviceBus", serviceBus: { sku: "Standard" } },
            "kedascale:workloads": [
                { name: "worker", kind: "deployment", placement: "spot", maxReplicaCount: 10, resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } } },
                { name: "batch", platform: "containerApps", kind: "job", maxReplicaCount: 20, resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "512Mi" } } },
            ],
        });
        expect(run.ofType("azure-native:containerservice:ManagedCluster")).toHaveLength(1);
        expect(run.one(T.job).inputs.jobName).toBe("batch");
        const kedaObjects = run.resources.filter((r) => r.type.startsWith("kubernetes:keda.sh"));
        expect(kedaObjects.map((r) => r.inputs.metadata?.name)).not.toContain("batch");
        expect(run.outputs.howTo.map((h: { workload: string }) => h.workload)).toEqual(["worker"]);
        expect(run.outputs.containerApps).toMatchObject({ coreQuota: 100, coresAtMax: 5 });
    });
});
