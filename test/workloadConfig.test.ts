/**
 * Preflight of issue 21's keys (queue, topic, shareEntity, image, command, args, env, runAsUser) and of the removed
 * messaging.queueName: each misconfiguration refused with the key, the bad value and the fix, all at once, before any
 * resource is registered. Pure: parseConfig, no Pulumi (the project directory given, as loadConfig gives it).
 */
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../components/config/load";
import { ConfigError } from "../components/config/rules/problem";
import { parseImageReference } from "../components/plan/imageReference";
import { fakeGuid } from "./harness/mockState";
import { runProgram } from "./harness/runProgram";

const DIGEST = "sha256:" + "0123456789abcdef".repeat(4);
const ACR_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/team-rg/providers/Microsoft.ContainerRegistry/registries/teamacr";
const resources = { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } };
const spot = { name: "spot", vmSize: "Standard_D2ds_v5", priority: "Spot", minCount: 0, maxCount: 5 };
const wl = (over: Record<string, unknown> = {}) => ({ name: "worker", kind: "job", resources, maxReplicaCount: 5, ...over });

/** A project directory with one build context holding a Dockerfile (what `{ build }` needs) and one without. */
const root = mkdtempSync(join(tmpdir(), "kedascale-project-"));
mkdirSync(join(root, "app"));
writeFileSync(join(root, "app", "Dockerfile"), "FROM scratch\n");
mkdirSync(join(root, "empty"));

function problems(config: Record<string, unknown>): { errors: string; warnings: string } {
    try {
        const { warnings } = parseConfig({ pools: [spot], ...config }, [], { stack: "dev", root });
        return { errors: "", warnings: warnings.map((w) => `${w.keys.join(", ")}: ${w.message}. Fix: ${w.fix}`).join("\n") };
    } catch (e) {
        if (e instanceof ConfigError) return { errors: e.message, warnings: "" };
        throw e;
    }
}

interface Case {
    why: string;
    config: Record<string, unknown>;
    /** One line must name the key, the value and the fix. */
    line: RegExp;
    warning?: true;
}

const sb = { broker: "serviceBus" };
const CASES: Case[] = [
    { why: "the removed messaging.queueName", config: { messaging: { broker: "serviceBus", queueName: "jobs" }, workloads: [wl()] }, line: /kedascale:messaging\.queueName: messaging\.queueName "jobs" was removed.*"worker".*Fix: remove messaging\.queueName and set workloads\[i\]\.queue: "jobs"/ },
    { why: "a queue name Storage refuses", config: { messaging: { broker: "storageQueue" }, workloads: [wl({ queue: "Jobs_1" })] }, line: /kedascale:workloads\[0\]\.queue: the storage queue of workload worker's name "Jobs_1".*3–63 lowercase/ },
    { why: "a default queue too short for Storage (a two-letter workload)", config: { messaging: { broker: "storageQueue" }, workloads: [wl({ name: "ab" })] }, line: /kedascale:workloads\[0\]\.name: the storage queue of workload ab's name "ab".*is 2 characters, outside 3–63/ },
    { why: "a queue whose -poison queue is too long", config: { messaging: { broker: "storageQueue" }, workloads: [wl({ queue: "q".repeat(60) })] }, line: /kedascale:workloads\[0\]\.queue: the poison queue of workload worker's name "q{60}-poison".*is 67 characters/ },
    { why: "a Service Bus subscription name too long", config: { messaging: sb, workloads: [wl({ topic: { name: "orders", subscription: "s".repeat(51) }, image: `mcr.microsoft.com/team/app@${DIGEST}` })] }, line: /kedascale:workloads\[0\]\.topic: the subscription of workload worker's name "s{51}".*1–50/ },
    { why: "a topic on Storage", config: { messaging: { broker: "storageQueue" }, workloads: [wl({ topic: { name: "orders", subscription: "all" }, image: `mcr.microsoft.com/team/app@${DIGEST}` })] }, line: /kedascale:workloads\[0\]\.topic, kedascale:messaging\.broker: topic \{"name":"orders","subscription":"all"\} has no effect.*Storage has no topics.*Fix: remove topic/ },
    { why: "a topic in the local stack (Azurite: Storage queues only)", config: { cluster: { local: { registry: "localhost:5000" } }, messaging: { broker: "storageQueue" }, workloads: [wl({ placement: "any", topic: { name: "orders", subscription: "all" }, image: `mcr.microsoft.com/team/app@${DIGEST}` })] }, line: /kedascale:workloads\[0\]\.topic, kedascale:cluster\.local: topic .* has no effect.*Storage has no topics/ },
    { why: "an image in another ACR on the local stack", config: { cluster: { local: { registry: "localhost:5000" } }, messaging: { broker: "storageQueue" }, workloads: [wl({ placement: "any", image: { ref: `teamacr.azurecr.io/app@${DIGEST}`, registryId: ACR_ID } })] }, line: /kedascale:workloads\[0\]\.image\.ref: .*a laptop cluster has no identity to pull from/ },
    { why: "an image in another ACR on virtual nodes", config: { cluster: { virtualNodes: true }, network: { plugin: "azureNodeSubnet" }, messaging: { broker: "serviceBus", virtualNodes: { acceptLocalAuth: true } }, workloads: [wl({ placement: "virtualNodes", image: { ref: `teamacr.azurecr.io/app@${DIGEST}`, registryId: ACR_ID } })] }, line: /kedascale:workloads\[0\]\.image\.ref, kedascale:workloads\[0\]\.placement: .*virtual-node pods have no identity/ },
    { why: "args without command on virtual nodes", config: { cluster: { virtualNodes: true }, network: { plugin: "azureNodeSubnet" }, messaging: { broker: "serviceBus", virtualNodes: { acceptLocalAuth: true } }, workloads: [wl({ placement: "virtualNodes", image: `mcr.microsoft.com/team/app@${DIGEST}`, args: ["x"] })] }, line: /kedascale:workloads\[0\]\.args, kedascale:workloads\[0\]\.placement: args without command on a virtual-node workload: ACI refuses/ },
    { why: "a topic on virtual nodes", config: { cluster: { virtualNodes: true }, network: { plugin: "azureNodeSubnet" }, messaging: { broker: "serviceBus", virtualNodes: { acceptLocalAuth: true } }, workloads: [wl({ placement: "virtualNodes", topic: { name: "orders", subscription: "all" }, image: `mcr.microsoft.com/team/app@${DIGEST}` })] }, line: /kedascale:workloads\[0\]\.topic, kedascale:workloads\[0\]\.placement: .*Listen rule on topic "orders" would open every subscription/ },
    { why: "the removed messaging.virtualNodes.queueName", config: { cluster: { virtualNodes: true }, network: { plugin: "azureNodeSubnet" }, messaging: { broker: "serviceBus", virtualNodes: { acceptLocalAuth: true, queueName: "aci-jobs" } }, workloads: [wl({ placement: "virtualNodes" })] }, line: /kedascale:messaging\.virtualNodes\.queueName: messaging\.virtualNodes\.queueName "aci-jobs" was removed.*Fix: remove it and set workloads\[i\]\.queue/ },
    { why: "runAsUser for the kedascale worker", config: { workloads: [wl({ runAsUser: 1000 })] }, line: /kedascale:workloads\[0\]\.runAsUser: runAsUser 1000 has no effect: workload "worker" runs the kedascale worker/ },
    { why: "runAsUser on a Container Apps job", config: { workloads: [wl({ platform: "containerApps", resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "1Gi" } }, image: `mcr.microsoft.com/team/app@${DIGEST}`, runAsUser: 1000 })] }, line: /kedascale:workloads\[0\]\.runAsUser: runAsUser 1000 has no effect: a Container Apps job takes no securityContext/ },
    { why: "a topic on Service Bus Basic", config: { messaging: { broker: "serviceBus", serviceBus: { sku: "Basic" } }, workloads: [wl({ topic: { name: "orders", subscription: "all" }, image: `mcr.microsoft.com/team/app@${DIGEST}` })] }, line: /kedascale:workloads\[0\]\.topic, kedascale:messaging\.serviceBus\.sku: Service Bus "Basic" has no topics.*Fix: set messaging\.serviceBus\.sku to "Standard"/ },
    { why: "a topic for the kedascale worker, which reads queues only", config: { messaging: sb, workloads: [wl({ topic: { name: "orders", subscription: "all" } })] }, line: /kedascale:workloads\[0\]\.topic, kedascale:workloads\[0\]\.image: the kedascale worker reads queues only.*"all" of topic "orders".*Fix: bring your own image/ },
    { why: "queue and topic together", config: { messaging: sb, workloads: [wl({ queue: "a", topic: { name: "orders", subscription: "all" }, image: `mcr.microsoft.com/team/app@${DIGEST}` })] }, line: /kedascale:workloads\[0\]\.queue, kedascale:workloads\[0\]\.topic: workload "worker" names both queue "a" and topic "orders"/ },
    { why: "two workloads on one queue without opting in", config: { messaging: sb, workloads: [wl({ name: "a", queue: "jobs" }), wl({ name: "b", queue: "jobs" })] }, line: /kedascale:workloads\[0\]\.queue, kedascale:workloads\[1\]\.queue, kedascale:workloads\[0\]\.shareEntity, kedascale:workloads\[1\]\.shareEntity: workloads "a", "b" all read queue "jobs": they would be competing consumers.*KEDA would scale each.*Fix: give each workload its own queue.*or set shareEntity: true/ },
    { why: "one workload's queue named like another's default", config: { messaging: sb, workloads: [wl({ name: "a" }), wl({ name: "b", queue: "a" })] }, line: /kedascale:workloads\[0\]\.name, kedascale:workloads\[1\]\.queue.*workloads "a", "b" all read queue "a"/ },
    { why: "shareEntity alone", config: { messaging: sb, workloads: [wl({ shareEntity: true })] }, line: /kedascale:workloads\[0\]\.shareEntity: shareEntity has no effect: workload "worker" is the only one reading queue "worker"/ },
    { why: "a queue and a topic with one name in a namespace", config: { messaging: sb, workloads: [wl({ name: "a", queue: "orders" }), wl({ name: "b", topic: { name: "orders", subscription: "all" }, image: `mcr.microsoft.com/team/app@${DIGEST}` })] }, line: /the Service Bus queue of workload a and the Service Bus topic of workload b would both be named "orders"/ },
    { why: "an image reference outside the grammar", config: { workloads: [wl({ image: "mcr.microsoft.com/Team/App:1" })] }, line: /kedascale:workloads\[0\]\.image: "mcr\.microsoft\.com\/Team\/App:1" the repository path has uppercase letters.*Fix: write it as registry\/repository@sha256/ },
    { why: "latest", config: { workloads: [wl({ image: "mcr.microsoft.com/k8se/quickstart-jobs:latest" })] }, line: /kedascale:workloads\[0\]\.image: "mcr\.microsoft\.com\/k8se\/quickstart-jobs:latest" is tagged latest.*Fix: pin it by digest: mcr\.microsoft\.com\/k8se\/quickstart-jobs@sha256:<digest>/ },
    { why: "no tag at all (latest)", config: { workloads: [wl({ image: "ghcr.io/team/app" })] }, line: /kedascale:workloads\[0\]\.image: "ghcr\.io\/team\/app" has no tag, which means latest/ },
    { why: "a mutable tag (warning)", config: { workloads: [wl({ image: "mcr.microsoft.com/azure-cli:2.67.0" })] }, line: /kedascale:workloads\[0\]\.image: "mcr\.microsoft\.com\/azure-cli:2\.67\.0" is pinned by tag "2\.67\.0".*Fix: pin it by digest/, warning: true },
    { why: "a private registry outside Azure", config: { workloads: [wl({ image: `registry.example.com/team/app@${DIGEST}` })] }, line: /kedascale:workloads\[0\]\.image: .*registry\.example\.com, a registry outside Azure for which kedascale holds no credential.*Fix: build it here with image: \{ build: \{ context \} \}.*az acr import/ },
    { why: "an ACR named without its resource id", config: { workloads: [wl({ image: `teamacr.azurecr.io/app@${DIGEST}` })] }, line: /kedascale:workloads\[0\]\.image: .*in the Azure Container Registry teamacr\.azurecr\.io, named without its resource id.*Fix: write image: \{ ref: .*registries\/teamacr" \}/ },
    { why: "an ACR id that is not one", config: { workloads: [wl({ image: { ref: `teamacr.azurecr.io/app@${DIGEST}`, registryId: "teamacr" } })] }, line: /kedascale:workloads\[0\]\.image\.registryId: "teamacr" is not an Azure Container Registry resource id/ },
    { why: "an ACR id of another registry", config: { workloads: [wl({ image: { ref: `otheracr.azurecr.io/app@${DIGEST}`, registryId: ACR_ID } })] }, line: /kedascale:workloads\[0\]\.image\.ref, kedascale:workloads\[0\]\.image\.registryId: image .* is in otheracr\.azurecr\.io, but registryId names the registry "teamacr"/ },
    { why: "a build context that does not exist", config: { workloads: [wl({ image: { build: { context: "nowhere" } } })] }, line: /kedascale:workloads\[0\]\.image\.build\.context: build context "nowhere" is not a directory/ },
    { why: "a build context without a Dockerfile", config: { workloads: [wl({ image: { build: { context: "empty" } } })] }, line: /kedascale:workloads\[0\]\.image\.build\.context: no Dockerfile at "empty\/Dockerfile"/ },
    { why: "args for the kedascale worker", config: { workloads: [wl({ args: ["--fast"] })] }, line: /kedascale:workloads\[0\]\.args, kedascale:workloads\[0\]\.image: args \["--fast"\] has no effect: workload "worker" runs the kedascale worker.*Fix: remove args, or set image/ },
    { why: "command for the kedascale worker", config: { workloads: [wl({ command: ["python"] })] }, line: /kedascale:workloads\[0\]\.command, kedascale:workloads\[0\]\.image: command \["python"\] has no effect/ },
    { why: "the worker's inflight with a team image", config: { workloads: [wl({ kind: "deployment", inflight: 4, image: `mcr.microsoft.com/team/app@${DIGEST}` })] }, line: /kedascale:workloads\[0\]\.inflight, kedascale:workloads\[0\]\.image: inflight 4 has no effect: it is the kedascale worker's --inflight/ },
    { why: "the worker's job.mode with a team image", config: { workloads: [wl({ job: { mode: "drain" }, image: `mcr.microsoft.com/team/app@${DIGEST}` })] }, line: /kedascale:workloads\[0\]\.job\.mode, kedascale:workloads\[0\]\.image: job\.mode "drain" has no effect/ },
    { why: "an env name a shell cannot read", config: { workloads: [wl({ env: { "LOG-LEVEL": "debug" } })] }, line: /kedascale:workloads\[0\]\.env\.LOG-LEVEL: environment variable name "LOG-LEVEL" is not a portable name.*Fix: rename it, e\.g\. "LOG_LEVEL"/ },
    { why: "a KEDASCALE_ name", config: { workloads: [wl({ env: { KEDASCALE_QUEUE: "other" } })] }, line: /kedascale:workloads\[0\]\.env\.KEDASCALE_QUEUE: environment variable "KEDASCALE_QUEUE" is reserved: kedascale sets KEDASCALE_\*/ },
    { why: "a workload-identity name", config: { workloads: [wl({ env: { AZURE_CLIENT_ID: "x" } })] }, line: /kedascale:workloads\[0\]\.env\.AZURE_CLIENT_ID: environment variable "AZURE_CLIENT_ID" is reserved: it is a workload-identity variable/ },
    { why: "a secret in env", config: { workloads: [wl({ env: { DB: "Server=x;AccountKey=abc" } })] }, line: /workloads\[0\]\.env\.DB: the value looks like a storage connection string/ },
];

describe("issue 21 preflight: each misconfiguration names its key, value and fix", () => {
    it.each(CASES.map((c) => [c.why, c] as const))("%s", (_why, c) => {
        const { errors, warnings } = problems(c.config);
        const text = c.warning ? warnings : errors;
        expect(text.split("\n").some((l) => c.line.test(l)), text || "(no problem reported)").toBe(true);
        if (c.warning) expect(errors).toBe("");
    });

    it("reports every one of them in one pass", () => {
        const { errors } = problems({
            messaging: { broker: "storageQueue", queueName: "jobs" },
            workloads: [wl({ name: "a", queue: "x" }), wl({ name: "b", queue: "x", args: ["--x"], env: { KEDASCALE_QUEUE: "y" } }), wl({ name: "c", image: "nginx:latest" })],
        });
        for (const needle of ["messaging.queueName", 'all read queue "x"', "args", "KEDASCALE_QUEUE", "tagged latest"]) expect(errors).toContain(needle);
    });
});

describe("accepted configurations", () => {
    it("takes two workloads on one queue when both opt in, a topic subscription with a team image, an ACR by id, a build and a public digest", () => {
        const { errors } = problems({
            messaging: sb,
            workloads: [
                wl({ name: "a", queue: "jobs", shareEntity: true }),
                wl({ name: "b", queue: "jobs", shareEntity: true }),
                wl({ name: "c", topic: { name: "orders", subscription: "c" }, image: { ref: `teamacr.azurecr.io/team/app@${DIGEST}`, registryId: ACR_ID } }),
                wl({ name: "d", topic: { name: "orders", subscription: "d" }, image: { build: { context: "app", target: "run", args: { V: "1" } } }, command: ["python", "/app/main.py"], env: { LOG_LEVEL: "debug" } }),
                wl({ name: "e", image: `mcr.microsoft.com/k8se/quickstart-jobs@${DIGEST}`, runAsUser: 1000 }),
            ],
        });
        expect(errors).toBe("");
    });
});

describe("OCI references (distribution/reference grammar)", () => {
    it.each([
        ["nginx", { domain: "docker.io", repository: "library/nginx" }],
        ["mcr.microsoft.com/azure-cli:2.67.0", { domain: "mcr.microsoft.com", repository: "azure-cli", tag: "2.67.0" }],
        [`localhost:5000/team/app@${DIGEST}`, { domain: "localhost:5000", repository: "team/app", digest: DIGEST }],
        ["team/app:v1", { domain: "docker.io", repository: "team/app", tag: "v1" }],
    ])("parses %s", (ref, expected) => expect(parseImageReference(ref)).toEqual(expected));

    it.each(["Team/app", "a//b", "app:-x", "app@sha256:abc", `app@sha256:${"A".repeat(64)}`, "app:" + "t".repeat(129)])("refuses %s", (ref) => expect(parseImageReference(ref)).toHaveProperty("error"));
});

describe("under the real program", () => {
    it("creates a topic once, a subscription per workload, and grants each receiver on its own subscription only (not the topic)", async () => {
        const image = `mcr.microsoft.com/team/app@${DIGEST}`;
        const run = await runProgram("dev", {
            "kedascale:messaging": { broker: "serviceBus" },
            "kedascale:workloads": [
                { name: "billing", kind: "deployment", resources, maxReplicaCount: 5, topic: { name: "orders", subscription: "billing" }, image },
                { name: "shipping", kind: "job", resources, maxReplicaCount: 5, topic: { name: "orders", subscription: "shipping" }, image },
            ],
        });
        expect(run.ofType("azure-native:servicebus:Topic").map((t) => t.inputs.topicName)).toEqual(["orders"]);
        expect(run.ofType("azure-native:servicebus:Subscription").map((s) => s.inputs.subscriptionName).sort()).toEqual(["billing", "shipping"]);
        const receive = run.ofType("azure-native:authorization:RoleAssignment").filter((r) => r.name.includes("-receive-"));
        for (const r of receive) {
            const scope = run.byId(r.inputs.scope)!;
            expect(scope.type).toBe("azure-native:servicebus:Subscription");
            expect(r.name).toContain(`-${scope.inputs.subscriptionName}-receive-`);
        }
        const scaled = run.resources.find((r) => r.type === "kubernetes:keda.sh/v1alpha1:ScaledJob")!;
        expect(scaled.inputs.spec.triggers[0].metadata).toMatchObject({ topicName: "orders", subscriptionName: "shipping" });
        const env = Object.fromEntries(scaled.inputs.spec.jobTargetRef.template.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
        expect(env).toMatchObject({ KEDASCALE_TOPIC: "orders", KEDASCALE_SUBSCRIPTION: "shipping", KEDASCALE_DEAD_LETTER_QUEUE: "orders/Subscriptions/shipping/$DeadLetterQueue" });
        expect(env.KEDASCALE_QUEUE).toBeUndefined();
    });

    it("gives the kubelet AcrPull on another ACR named by id, and renders the team image's command, args and env", async () => {
        const run = await runProgram("dev", {
            "kedascale:messaging": { broker: "serviceBus" },
            "kedascale:workloads": [{ name: "team", kind: "job", resources, maxReplicaCount: 5, image: { ref: `teamacr.azurecr.io/team/app@${DIGEST}`, registryId: ACR_ID }, command: ["python"], args: ["/app/main.py"], env: { LOG_LEVEL: "debug" }, runAsUser: 10001 }],
        });
        const pulls = run.ofType("azure-native:authorization:RoleAssignment").filter((r) => r.inputs.scope === ACR_ID);
        expect(pulls).toHaveLength(1);
        // The kubelet identity (the mocks derive its object id from the cluster's name, test/harness/mockState.ts).
        const cluster = run.one("azure-native:containerservice:ManagedCluster");
        expect(pulls[0].inputs.principalId).toBe(fakeGuid(`kubelet/${cluster.inputs.resourceName}`));
        expect(pulls[0].inputs.roleDefinitionId).toMatch(/7f951dda-4ed3-4680-a7ca-43fe172d538d$/);
        const pod = run.resources.find((r) => r.type === "kubernetes:keda.sh/v1alpha1:ScaledJob")!.inputs.spec.jobTargetRef.template.spec;
        // The pod waits for that grant too (no ImagePullBackOff on the first Job).
        expect(run.resources.find((r) => r.type === "kubernetes:keda.sh/v1alpha1:ScaledJob")!.dependsOn).toContain(pulls[0].name);
        const c = pod.containers[0];
        expect(c).toMatchObject({ image: `teamacr.azurecr.io/team/app@${DIGEST}`, command: ["python"], args: ["/app/main.py"] });
        expect(c.env).toContainEqual({ name: "LOG_LEVEL", value: "debug" });
        expect(c.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, readOnlyRootFilesystem: true });
        expect(pod.volumes).toEqual([{ name: "tmp", emptyDir: {} }]);
        // No kedascale probe on a team image (its health port is its own).
        expect(c.livenessProbe).toBeUndefined();
    });
});
