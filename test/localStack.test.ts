/**
 * The local stack (Pulumi.local.yaml, issue 16 part 1) under Pulumi mocks, through the real index.ts: a laptop cluster
 * from the kubeconfig, Azurite in it, KEDA by the same Helm release without identity, the same ScaledWorkloads on the
 * Storage-queue adapter — and no Azure resource or Azure call at all. The setup Job's script runs here against a real
 * Azurite; preflight refuses every Azure-only setting beside cluster.local, all at once, naming key, value and fix.
 */
import { ScaledJob } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledJob";
import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject";
import { TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication";
import { QueueClient } from "@azure/storage-queue";
import { ContainerClient } from "@azure/storage-blob";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { Job } from "kubernetes-models/batch/v1/Job";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeRawConfig, parseConfig } from "../components/config/load";
import { ConfigError, type Problem } from "../components/config/rules/problem";
import { AZURITE_SETUP_SCRIPT } from "../components/plan/azuriteSetup";
import { AZURITE_IMAGE, azuriteConnectionString, DEFAULT_LOCAL_AZURITE } from "../components/plan/localAzurite";
import { localWorkerImageArgs } from "../components/stackArgs";
import { startAzurite, type Azurite } from "../consumer/src/azurite";
import { clearCallOverrides, setCallOverride } from "./harness/mockState";
import { runProgram, type ProgramRun, type RecordedResource } from "./harness/runProgram";
import { kedaWorkloads, stackConfig } from "./harness/stackConfig";
import { kedaV220Violations, unwrapSecrets } from "./harness/kubeValidate";

const STACK = "local";
const MODELS: Record<string, new (d: any) => { validate(): void }> = {
    "kubernetes:core/v1:Namespace": Namespace,
    "kubernetes:core/v1:PersistentVolumeClaim": PersistentVolumeClaim,
    "kubernetes:core/v1:Service": Service,
    "kubernetes:core/v1:Secret": Secret,
    "kubernetes:core/v1:ServiceAccount": ServiceAccount,
    "kubernetes:apps/v1:Deployment": Deployment,
    "kubernetes:batch/v1:Job": Job,
    "kubernetes:batch/v1:CronJob": CronJob,
    "kubernetes:keda.sh/v1alpha1:ScaledJob": ScaledJob,
    "kubernetes:keda.sh/v1alpha1:ScaledObject": ScaledObject,
    "kubernetes:keda.sh/v1alpha1:TriggerAuthentication": TriggerAuthentication,
};
const podSpecOf = (r: RecordedResource) => (r.inputs.kind === "ScaledJob" ? r.inputs.spec.jobTargetRef.template.spec : r.inputs.spec.template.spec);

describe("stack local under mocks", () => {
    let run: ProgramRun;
    const clientConfigCalls: unknown[] = [];
    beforeAll(async () => {
        setCallOverride("azure-native:authorization:getClientConfig", (inputs, result) => (clientConfigCalls.push(inputs), result));
        run = await runProgram(STACK);
    });
    afterAll(() => clearCallOverrides());
    const workloads = kedaWorkloads<{ name: string; kind: string; namespace: string; platform?: string }>(STACK);

    it("creates no Azure resource and asks Azure nothing (no resource group, no client config)", () => {
        expect(run.resources.filter((r) => r.type.startsWith("azure-native:") || r.type.startsWith("kedascale:azure:"))).toEqual([]);
        expect(clientConfigCalls).toEqual([]);
        expect(run.outputs.resourceGroup).toBeNull();
        expect(run.outputs.kubeContext).toBe("current");
    });

    it("renders every Kubernetes object valid against its published schema and KEDA v2.20's rules", () => {
        const objects = run.resources.filter((r) => r.type.startsWith("kubernetes:") && r.type !== "kubernetes:helm.sh/v3:Release");
        expect(new Set(objects.map((r) => r.type))).toEqual(new Set(Object.keys(MODELS)));
        for (const r of objects) {
            const obj = unwrapSecrets({ ...r.inputs, apiVersion: r.inputs.apiVersion ?? r.type.split(":")[1].replace(/^core\//, "").replace(/\/[A-Za-z]+$/, ""), kind: r.inputs.kind ?? r.type.split("/").pop() });
            expect(() => new MODELS[r.type](obj).validate(), `${r.type} ${r.name}`).not.toThrow();
            if (r.type.includes("keda.sh")) expect(kedaV220Violations(obj as any), r.name).toEqual([]);
        }
    });

    it("installs the same pinned KEDA chart with no workload identity and no AKS system-pool selector (kind nodes have neither)", () => {
        const release = run.one("kubernetes:helm.sh/v3:Release");
        expect(release.inputs).toMatchObject({ chart: "keda", version: "2.20.2", namespace: "keda" });
        expect(release.inputs.values.podIdentity).toBeUndefined();
        expect(release.inputs.values.nodeSelector).toBeUndefined();
        expect(release.inputs.values.tolerations).toBeUndefined();
    });

    it("runs the pinned Azurite with a volume and a Service, and creates each workload's queue, its poison queue and the results container before any workload", () => {
        const azurite = run.one("kubernetes:apps/v1:Deployment", "azurite-deployment");
        expect(azurite.inputs.spec.template.spec.containers[0].image).toBe(AZURITE_IMAGE);
        const setup = run.one("kubernetes:batch/v1:Job", "azurite-setup");
        const env = Object.fromEntries(setup.inputs.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
        expect(env).toMatchObject({ QUEUES: workloads.flatMap((w) => [w.name, `${w.name}-poison`]).join(","), CONTAINERS: "results", AZURITE_CONNECTION: { secretKeyRef: { name: "azurite-connection", key: "connection" } } });
        expect(setup.dependsOn).toEqual(expect.arrayContaining(["azurite-deployment", "azurite-service", "azurite-secret-azurite"]));
        // KEDA's first poll and the first pod find the queue: the ScaledJob and the Deployment wait for the Job.
        expect(run.one("kubernetes:keda.sh/v1alpha1:ScaledJob").dependsOn).toContain("azurite-setup");
        expect(run.one("kubernetes:apps/v1:Deployment", "workload-worker-deployment").dependsOn).toContain("azurite-setup");
    });

    it.each(workloads.map((w) => [w.name, w]))("workload %s: KEDA and the pods read Azurite through the labelled Secret in their own namespace, never a literal", (_n, w) => {
        const secret = run.ofType("kubernetes:core/v1:Secret").find((s) => s.inputs.metadata.namespace === w.namespace)!;
        expect(secret.inputs.metadata.labels["kedascale.io/allowed-secret"]).toBe("azurite");
        expect(unwrapSecrets(secret.inputs.stringData).connection).toBe(azuriteConnectionString(DEFAULT_LOCAL_AZURITE));
        const scaler = run.resources.find((r) => r.inputs.kind === (w.kind === "job" ? "ScaledJob" : "ScaledObject") && r.inputs.metadata.name === w.name)!;
        const trigger = scaler.inputs.spec.triggers[0];
        // Each workload on its own queue (default: its name).
        expect(trigger).toMatchObject({ type: "azure-queue", metadata: { queueName: w.name } });
        const auth = run.resources.find((r) => r.inputs.kind === "TriggerAuthentication" && r.inputs.metadata.name === trigger.authenticationRef.name)!;
        expect(auth.inputs.metadata.namespace).toBe(w.namespace);
        expect(auth.inputs.spec).toEqual({ secretTargetRef: [{ parameter: "connection", name: secret.inputs.metadata.name, key: "connection" }] });
        const pod = podSpecOf(w.kind === "job" ? scaler : run.one("kubernetes:apps/v1:Deployment", `workload-${w.name}-deployment`));
        const env = pod.containers[0].env as { name: string; value?: string; valueFrom?: any }[];
        for (const name of ["KEDASCALE_CONNECTION_STRING", "KEDASCALE_RESULTS_CONNECTION_STRING"]) {
            expect(env.find((e) => e.name === name)).toEqual({ name, valueFrom: { secretKeyRef: { name: secret.inputs.metadata.name, key: "connection" } } });
        }
        // Nothing asks for identity auth: no account names for DefaultAzureCredential, no identity annotation.
        expect(env.map((e) => e.name)).not.toContain("KEDASCALE_STORAGE_ACCOUNT");
        expect(env.map((e) => e.name)).not.toContain("KEDASCALE_RESULTS_ACCOUNT");
        expect(env.find((e) => e.name === "KEDASCALE_QUEUE")?.value).toBe(w.name);
        expect(env.find((e) => e.name === "KEDASCALE_POISON_QUEUE")?.value).toBe(`${w.name}-poison`);
        const sa = run.ofType("kubernetes:core/v1:ServiceAccount").find((s) => s.inputs.metadata.name === pod.serviceAccountName && s.inputs.metadata.namespace === w.namespace)!;
        expect(sa.inputs.metadata.annotations).toBeUndefined();
        // No Spot toleration-only placement problem: "any" schedules on any node, and a laptop has no Spot eviction.
        expect(pod.affinity).toBeUndefined();
        expect(pod.containers[0].image).toMatch(/^localhost:5000\/kedascale-worker@sha256:[0-9a-f]{64}$/);
    });

    it("pushes the image to the configured local registry without credentials, for the deployer's CPU", () => {
        const image = run.one("docker:index/image:Image");
        expect(image.inputs.imageName).toBe("localhost:5000/kedascale-worker:latest");
        expect(image.inputs.registry).toBeUndefined();
        expect(image.inputs.build.platform).toBe(`linux/${process.arch === "arm64" ? "arm64" : "amd64"}`);
        const { config } = parseConfig(decodeRawConfig(stackConfig(STACK)).raw, [], { stack: STACK });
        expect(localWorkerImageArgs(config, "/repo", "arm64").platform).toBe("linux/arm64");
        expect(localWorkerImageArgs(config, "/repo", "x64").platform).toBe("linux/amd64");
    });

    it("talks to the cluster of the named kubeconfig context when one is given, else the current one", async () => {
        expect(run.one("pulumi:providers:kubernetes").inputs.context).toBeUndefined();
        const named = await runProgram(STACK, { "kedascale:cluster": { local: { registry: "localhost:5000", kubeconfigContext: "kind-kind" } } });
        expect(named.one("pulumi:providers:kubernetes").inputs.context).toBe("kind-kind");
        expect(named.outputs.kubeContext).toBe("kind-kind");
    });
});

describe("the local stack's preflight", () => {
    const problems = (overrides: Record<string, unknown>): readonly Problem[] => {
        try {
            parseConfig(decodeRawConfig(stackConfig(STACK, overrides)).raw, [], { stack: STACK });
            return [];
        } catch (e) {
            if (e instanceof ConfigError) return e.problems;
            throw e;
        }
    };

    it("accepts Pulumi.local.yaml as it is", () => {
        expect(problems({})).toEqual([]);
    });

    it("refuses, all at once, every Azure-only setting beside cluster.local, naming key, value and fix", () => {
        const found = problems({
            "kedascale:cluster": { local: { registry: "localhost:5000" }, tier: "Standard", existing: { resourceGroup: "rg", name: "aks" } },
            "kedascale:network": { plugin: "kubenet" },
            "kedascale:pools": [{ name: "spot", vmSize: "Standard_D4ds_v5", priority: "Spot", maxCount: 3 }],
            "kedascale:registry": { sku: "Premium" },
            "kedascale:messaging": { broker: "serviceBus" },
            "kedascale:workloads": [
                { name: "onspot", namespace: "workloads", kind: "job", placement: "spot", resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } } },
                { name: "aci", namespace: "workloads", kind: "job", placement: "virtualNodes", resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } } },
            ],
        });
        const text = found.map((p) => `${p.keys.join(",")}: ${p.message} FIX ${p.fix}`).join("\n");
        expect(text).toMatch(/kedascale:cluster\.tier.*cluster\.tier "Standard" has no effect.*FIX remove cluster\.tier/);
        expect(text).toMatch(/kedascale:cluster\.existing.*has no effect/);
        expect(text).toMatch(/kedascale:network.*"kubenet".*FIX remove kedascale:network/);
        expect(text).toMatch(/kedascale:pools.*has no effect/);
        expect(text).toMatch(/kedascale:registry.*"Premium".*cluster\.local\.registry/);
        expect(text).toMatch(/kedascale:messaging\.broker.*broker "serviceBus" cannot run in a laptop cluster.*FIX set messaging\.broker to "storageQueue"/);
        expect(text).toMatch(/kedascale:workloads\[0\]\.placement.*placement "spot".*Pending.*FIX set workloads\[0\]\.placement to "any"/);
        expect(text).toMatch(/kedascale:workloads\[1\]\.placement.*placement "virtualNodes".*Azure Container Instances/);
    });

    it("refuses Container Apps workloads and the default Spot placement in a local stack", () => {
        const found = problems({
            "kedascale:workloads": [
                { name: "aca", platform: "containerApps", kind: "job", resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "1Gi" } } },
                { name: "dflt", namespace: "workloads", kind: "deployment", resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } } },
            ],
        });
        const text = found.map((p) => `${p.keys.join(",")}: ${p.message}`).join("\n");
        expect(text).toMatch(/kedascale:workloads\[0\]\.platform.*"containerApps": Azure Container Apps cannot run in a laptop cluster/);
        expect(text).toMatch(/kedascale:workloads\[1\]\.placement.*placement "spot" \(the default\)/);
    });

    it("refuses a registry that is not host[:port]", () => {
        const found = problems({ "kedascale:cluster": { local: { registry: "http://localhost:5000/" } } });
        expect(found.map((p) => p.keys.join(",")).join("\n")).toMatch(/kedascale:cluster\.local\.registry/);
    });
});

describe("the Azurite setup Job's script, against a real Azurite", () => {
    let az: Azurite;
    beforeAll(async () => {
        az = await startAzurite();
    });
    afterAll(async () => az?.stop());

    const runScript = (env: Record<string, string>) =>
        promisify(execFile)(process.execPath, ["-e", AZURITE_SETUP_SCRIPT], { env: { PATH: process.env.PATH ?? "", ATTEMPTS: "3", RETRY_MS: "200", ...env }, timeout: 60_000 });
    const connection = () => `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${/AccountKey=([^;]+)/.exec(az.connectionString)![1]};BlobEndpoint=${az.blobEndpoint};QueueEndpoint=${az.queueEndpoint};`;

    it("creates the queue, the poison queue and the container with the account key (Azurite refuses anonymous calls), and a rerun is a no-op", async () => {
        const env = { AZURITE_CONNECTION: connection(), QUEUES: "jobs,jobs-poison", CONTAINERS: "results" };
        await runScript(env);
        for (const q of ["jobs", "jobs-poison"]) expect(await new QueueClient(az.connectionString, q).exists()).toBe(true);
        expect(await new ContainerClient(az.connectionString, "results").exists()).toBe(true);
        await new QueueClient(az.connectionString, "jobs").sendMessage("kept");
        const again = await runScript(env);
        expect(again.stdout).toMatch(/jobs: HTTP 204/);
        expect(again.stdout).toMatch(/results: HTTP 409/);
        expect((await new QueueClient(az.connectionString, "jobs").getProperties()).approximateMessagesCount).toBe(1);
    });

    it("fails (so the Job retries and reports) when the key is wrong, instead of reporting success", async () => {
        const bad = connection().replace(/AccountKey=[^;]+/, `AccountKey=${Buffer.from("not the key").toString("base64")}`);
        await expect(runScript({ AZURITE_CONNECTION: bad, QUEUES: "other", CONTAINERS: "" })).rejects.toMatchObject({ code: 1 });
        expect(await new QueueClient(az.connectionString, "other").exists()).toBe(false);
    });
});
