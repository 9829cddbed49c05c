/**
 * KEDA and the workloads, for every stack under mocks: every Kubernetes object the program sends is valid,
 * secretless, placed as configured, and wired to the identities and grants that actually exist.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { KEDA_CHART_REPO } from "../components/plan/kedaChart";
import { ROLES } from "../components/azure/roles";
import { runProgram, type ProgramRun, type RecordedResource } from "./harness/runProgram";
import { clusterKind, kedaWorkloads, readStackFile, stackNames } from "./harness/stackConfig";
import { validateKubernetesObject } from "./harness/kubeValidate";
import { onVirtualNodes } from "../components/config/virtualNodes";

const KIND_OF_TYPE: Record<string, string> = {
    "kubernetes:apps/v1:Deployment": "Deployment",
    "kubernetes:batch/v1:Job": "Job",
    "kubernetes:batch/v1:CronJob": "CronJob",
    "kubernetes:core/v1:ServiceAccount": "ServiceAccount",
    "kubernetes:core/v1:Namespace": "Namespace",
};
const CR = "kubernetes:keda.sh/v1alpha1:";
const roleGuid = (r: RecordedResource) => String(r.inputs.roleDefinitionId).split("/").pop();

function asObject(r: RecordedResource): { apiVersion: string; kind: string; metadata: any; spec?: any } {
    const kind = KIND_OF_TYPE[r.type] ?? r.inputs.kind;
    const apiVersion = r.inputs.apiVersion ?? { Deployment: "apps/v1", Job: "batch/v1", CronJob: "batch/v1", ServiceAccount: "v1", Namespace: "v1" }[kind as string];
    return { ...r.inputs, apiVersion, kind, metadata: r.inputs.metadata };
}

// Every stack that runs KEDA on AKS: a cluster it creates or an existing one (an ACA-only stack has neither:
// containerApps tests; the local stack's KEDA has no identity and no AKS system pool: localStack.test.ts).
describe.each(stackNames().filter((s) => clusterKind(s) !== "none" && clusterKind(s) !== "local"))("stack %s", (stack) => {
    let run: ProgramRun;
    let k8sObjects: RecordedResource[];
    beforeAll(async () => {
        run = await runProgram(stack);
        k8sObjects = run.resources.filter((r) => r.type.startsWith("kubernetes:") && r.type !== "kubernetes:helm.sh/v3:Release");
    });
    const workloads = kedaWorkloads<{ name: string; kind: string; namespace?: string; loadTest?: unknown; platform?: string; placement?: string; queue?: string; topic?: { name: string; subscription: string }; image?: string | { ref: string } | { build: { context: string } }; handler?: { http?: unknown } }>(stack);
    // Virtual-node (ACI) workloads have no identity: a Secret credential instead (test/virtualNodes.test.ts).
    const onAci = (w: { placement?: string }) => onVirtualNodes({ placement: w.placement ?? "spot" });
    const identityWorkloads = workloads.filter((w) => !onAci(w));

    it("renders every Kubernetes object valid against its schema and KEDA v2.20's rules", () => {
        expect(k8sObjects.length).toBeGreaterThan(0);
        for (const r of k8sObjects) expect(() => validateKubernetesObject(asObject(r)), `${r.type} ${r.name}`).not.toThrow();
    });

    it("installs the pinned KEDA chart on the system pool with workload identity for its operator", () => {
        const release = run.one("kubernetes:helm.sh/v3:Release");
        expect(release.inputs).toMatchObject({ chart: "keda", version: "2.20.2", repositoryOpts: { repo: KEDA_CHART_REPO }, namespace: "keda", atomic: true });
        const values = release.inputs.values;
        expect(values.nodeSelector).toEqual({ "kubernetes.azure.com/mode": "system" });
        const kedaIdentity = run.ofType("azure-native:managedidentity:UserAssignedIdentity").find((i) => i.name === "keda-identity")!;
        expect(values.podIdentity.azureWorkload).toMatchObject({ enabled: true, clientId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
        const fic = run.ofType("azure-native:managedidentity:FederatedIdentityCredential").find((f) => f.name === "keda-federation")!;
        expect(fic.inputs).toMatchObject({ resourceName: kedaIdentity.inputs.resourceName, subject: "system:serviceaccount:keda:keda-operator", audiences: ["api://AzureADTokenExchange"], issuer: run.outputs.oidcIssuerUrl });
        expect(release.dependsOn).toContain("keda-federation");
        const cfg = readStackFile(stack)["kedascale:keda"] as { kubeApiQps?: number } | undefined;
        expect(values.extraArgs.keda["kube-api-qps"]).toBe(String(cfg?.kubeApiQps ?? 20));
    });

    it("lets KEDA read each workload's own entity only (Data Owner on Service Bus, Queue Data Reader on Storage), once per entity", () => {
        const kedaPrincipal = run.ofType("azure-native:managedidentity:UserAssignedIdentity").find((i) => i.name === "keda-identity")!;
        const grants = run.ofType("azure-native:authorization:RoleAssignment").filter((r) => /^(aci-)?messaging-keda-.*-readQueueMetrics-/.test(r.name));
        const entities = new Set(workloads.map((w) => `${onAci(w) ? "aci" : "stack"}/${w.topic ? `${w.topic.name}/${w.topic.subscription}` : (w.queue ?? w.name)}`));
        expect(grants).toHaveLength(entities.size);
        for (const g of grants) {
            const scope = run.byId(g.inputs.scope)!;
            // The entity itself, never the namespace or account.
            expect(scope.type).toMatch(/:(servicebus:(Queue|Subscription)|storage:Queue)$/);
            expect(roleGuid(g)).toBe(scope.type.includes("servicebus") ? ROLES.serviceBusDataOwner : ROLES.storageQueueDataReader);
            expect(g.inputs.principalId).toMatch(/^[0-9a-f-]{36}$/);
        }
        expect(kedaPrincipal).toBeDefined();
    });

    it("makes every KEDA object depend on the KEDA release and on KEDA's grant on its own entity (no 401s on the first poll)", () => {
        const crs = run.resources.filter((r) => r.type.startsWith(CR));
        expect(crs.length).toBeGreaterThanOrEqual(workloads.length * 2);
        const kedaGrants = new Map(run.ofType("azure-native:authorization:RoleAssignment").filter((r) => /^(aci-)?messaging-keda-.*-readQueueMetrics-/.test(r.name)).map((g) => [g.name, g]));
        for (const r of crs) {
            expect(r.dependsOn, r.name).toContain("keda-release");
            const own = r.dependsOn.filter((d) => kedaGrants.has(d));
            expect(own.length, `${r.name} waits for KEDA's grant`).toBeGreaterThan(0);
            // ...and only the grant on its workload's entity: the trigger's queue or subscription.
            const trigger = r.inputs.spec?.triggers?.[0]?.metadata;
            if (trigger) {
                const entityName = trigger.subscriptionName ?? trigger.queueName;
                for (const d of own) expect(String(kedaGrants.get(d)!.inputs.scope).endsWith(`/${entityName}`), `${r.name} → ${d}`).toBe(true);
            }
        }
    });

    it("starts no pod before the kubelet's AcrPull and the pod identity's own grants exist (no ImagePullBackOff, no 403)", () => {
        const acrPull = run.ofType("azure-native:authorization:RoleAssignment").find((r) => roleGuid(r) === ROLES.acrPull)!;
        const podOwners = run.resources.filter((r) => ["kubernetes:apps/v1:Deployment", "kubernetes:batch/v1:CronJob", `${CR}ScaledJob`].includes(r.type));
        expect(podOwners.length).toBeGreaterThanOrEqual(workloads.length);
        for (const owner of podOwners) {
            expect(owner.dependsOn, owner.name).toContain(acrPull.name);
            const sa = owner.type === "kubernetes:batch/v1:CronJob" ? owner.inputs.spec.jobTemplate.spec.template.spec.serviceAccountName : (owner.inputs.spec.template ?? owner.inputs.spec.jobTargetRef.template).spec.serviceAccountName;
            const pod = owner.type === "kubernetes:batch/v1:CronJob" ? owner.inputs.spec.jobTemplate.spec.template.spec : (owner.inputs.spec.template ?? owner.inputs.spec.jobTargetRef.template).spec;
            if (pod.imagePullSecrets) {
                // An ACI pod: it waits for its credential and pull Secrets instead of identity grants.
                const secrets = run.ofType("kubernetes:core/v1:Secret").filter((x) => x.inputs.metadata.name.startsWith(`${sa}-aci-`));
                expect(secrets.map((x) => x.inputs.metadata.name).sort(), owner.name).toEqual([`${sa}-aci-credential`, `${sa}-aci-pull`]);
                for (const x of secrets) expect(owner.dependsOn, owner.name).toContain(x.name);
                continue;
            }
            const own = run.ofType("azure-native:authorization:RoleAssignment").filter((g) => new RegExp(`^(aci-)?messaging-${sa}-(receive|send|writeResults)-`).test(g.name));
            expect(own.length, `${owner.name}: grants of ${sa}`).toBeGreaterThan(0);
            for (const g of own) expect(owner.dependsOn, owner.name).toContain(g.name);
        }
    });

    it("never runs a load from pulumi up: no Job at all, only suspended templates named <workload>-load", () => {
        expect(run.ofType("kubernetes:batch/v1:Job")).toEqual([]);
        const templates = run.ofType("kubernetes:batch/v1:CronJob");
        expect(templates.map((t) => t.inputs.metadata.name).sort()).toEqual(workloads.filter((w) => w.loadTest).map((w) => `${w.name}-load`).sort());
        for (const t of templates) expect(t.inputs.spec.suspend).toBe(true);
        for (const h of run.outputs.howTo.filter((h: { workload: string }) => workloads.find((w) => w.name === h.workload)?.loadTest)) {
            expect(h.sendLoad).toContain(`--from=cronjob/${h.workload}-load`);
            // `verify` reads the kedascale worker's result blobs: only a workload that runs it has one.
            if (workloads.find((w) => w.name === h.workload)!.image === undefined) expect(h.verify).toContain('--run-id "$RUN"');
            else expect(h.verify).toBeUndefined();
        }
    });

    it.each(identityWorkloads.map((w) => [w.name, w] as const))("workload %s: identity, federation, ServiceAccount and grants line up", (name, w) => {
        const ns = w.namespace ?? "workloads";
        const sa = run.ofType("kubernetes:core/v1:ServiceAccount").find((s) => s.inputs.metadata.name === name)!;
        expect(sa.inputs.metadata.namespace).toBe(ns);
        const identity = run.one("azure-native:managedidentity:UserAssignedIdentity", `workload-${name}-worker-identity`);
        const fic = run.one("azure-native:managedidentity:FederatedIdentityCredential", `workload-${name}-worker-federation`);
        expect(fic.inputs.subject).toBe(`system:serviceaccount:${sa.inputs.metadata.namespace}:${sa.inputs.metadata.name}`);
        expect(fic.inputs.resourceName).toBe(identity.inputs.resourceName);
        expect(fic.inputs.issuer).toBe(run.outputs.oidcIssuerUrl);
        const grants = run.ofType("azure-native:authorization:RoleAssignment").filter((r) => new RegExp(`^messaging-${name}-(receive|send|readQueueMetrics|writeResults)-`).test(r.name));
        const byRole = Object.fromEntries(grants.map((g) => [roleGuid(g), run.byId(g.inputs.scope)!.type]));
        expect(byRole[ROLES.storageBlobDataContributor]).toBe("azure-native:storage:BlobContainer");
        // Storage workers renew and release with Update Message (messages/write): Contributor, not Message Processor.
        const receiveRole = byRole[ROLES.serviceBusDataReceiver] ?? byRole[ROLES.storageQueueDataContributor];
        expect(receiveRole).toMatch(/:Queue$/);
        // The worker may not send nor read metrics; only the load generator sends.
        expect(byRole[ROLES.serviceBusDataSender]).toBeUndefined();
        expect(byRole[ROLES.serviceBusDataOwner]).toBeUndefined();
    });

    it.each(identityWorkloads.map((w) => [w.name, w] as const))("workload %s: pods use workload identity, the configured image (by digest when built here), Spot placement and bounded resources", (name, w) => {
        const scaled = run.resources.find((r) => r.type === `${CR}${w.kind === "job" ? "ScaledJob" : "ScaledObject"}` && r.inputs.metadata.name === name)!;
        expect(scaled).toBeDefined();
        const podTemplate =
            w.kind === "job" ? scaled.inputs.spec.jobTargetRef.template : run.ofType("kubernetes:apps/v1:Deployment").find((d) => d.inputs.metadata.name === name)!.inputs.spec.template;
        expect(podTemplate.metadata.labels["azure.workload.identity/use"]).toBe("true");
        const pod = podTemplate.spec;
        expect(pod.serviceAccountName).toBe(name);
        const configured = w.image;
        if (configured === undefined) {
            // The kedascale worker, built from consumer/ here and pinned by digest.
            expect(pod.containers[0].image).toMatch(/@sha256:[0-9a-f]{64}$/);
            expect(pod.containers[0].image).toBe(run.outputs.workerImage);
            expect(run.one("docker:index/image:Image", "worker-image").inputs.build.dockerfile).toMatch(/consumer\/Dockerfile$/);
        } else if (typeof configured === "object" && "build" in configured) {
            // Built here from its own context, pushed to the stack's registry as <registry>/<workload>, pinned by digest.
            const built = run.one("docker:index/image:Image", `image-${name}-image`);
            expect(built.inputs.build.context.endsWith(configured.build.context)).toBe(true);
            // With handler.http it runs in the handler's container (a Job's native sidecar), beside the stack's worker.
            const team = w.handler?.http ? [...(pod.initContainers ?? []), ...pod.containers].find((c: { name: string }) => c.name === "handler") : pod.containers[0];
            expect(team.image).toMatch(new RegExp(`/${name}@sha256:[0-9a-f]{64}$`));
            if (w.handler?.http) expect(pod.containers[0].image).toBe(run.outputs.workerImage);
        } else {
            // A prebuilt reference is sent as configured (preflight checked its grammar and pull).
            expect(pod.containers[0].image).toBe(typeof configured === "string" ? configured : configured.ref);
        }
        expect(pod.tolerations).toContainEqual({ key: "kubernetes.azure.com/scalesetpriority", operator: "Equal", value: "spot", effect: "NoSchedule" });
        expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]).toMatchObject({ key: "kubernetes.azure.com/scalesetpriority", values: ["spot"] });
        expect(pod.containers[0].resources.requests).toHaveProperty("cpu");
        expect(pod.containers[0].resources.limits).toHaveProperty("memory");
        const env = Object.fromEntries(pod.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
        // Spot-placed pods fit Spot's ~30 s eviction notice: 30 s for kubelet, 20 s for the worker, 10 s to release.
        expect(pod.terminationGracePeriodSeconds).toBe(30);
        expect(env.KEDASCALE_GRACE_MS).toBe("20000");
        // The contract: its own queue, in the stack's broker.
        expect(env.KEDASCALE_QUEUE).toBe(w.queue ?? name);
        const trigger = scaled.inputs.spec.triggers[0];
        expect(trigger.authenticationRef.name).toBe(run.resources.find((r) => r.type === `${CR}TriggerAuthentication` && r.inputs.metadata.name === trigger.authenticationRef.name)!.inputs.metadata.name);
        expect(trigger.metadata.namespace ?? trigger.metadata.accountName).toBe(run.outputs.broker.resource);
    });
});

describe("scale1000's ScaledJob", () => {
    it("fans out one Job per message, gradually rolled, up to the pool's 998 nodes", async () => {
        const run = await runProgram("scale1000");
        const job = run.resources.find((r) => r.type === `${CR}ScaledJob`)!;
        expect(job.inputs.spec).toMatchObject({ maxReplicaCount: 998, rollout: { strategy: "gradual" }, scalingStrategy: { strategy: "default" } });
        expect(job.inputs.spec.triggers[0]).toMatchObject({ type: "azure-servicebus", metadata: { messageCount: "1", activationMessageCount: "0" } });
        expect(job.inputs.spec.jobTargetRef).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 900, template: { spec: { restartPolicy: "Never" } } });
        expect(job.inputs.spec.jobTargetRef.template.spec.containers[0].args).toEqual(["work", "--once"]);
        const release = run.one("kubernetes:helm.sh/v3:Release");
        expect(release.inputs.values.extraArgs.keda).toEqual({ "kube-api-qps": "100", "kube-api-burst": "150" });
        const loader = run.one("kubernetes:batch/v1:CronJob");
        expect(loader.inputs.spec.suspend).toBe(true);
        expect(loader.inputs.spec.jobTemplate.spec.template.spec.serviceAccountName).toBe("burst-load");
        expect(loader.dependsOn).toContain("workload-burst-scaled-job");
        const loaderRoles = run.ofType("azure-native:authorization:RoleAssignment").filter((r) => r.name.startsWith("messaging-burst-load-")).map(roleGuid).sort();
        expect(loaderRoles).toEqual([ROLES.serviceBusDataSender, ROLES.storageBlobDataContributor].sort());
    });
});
