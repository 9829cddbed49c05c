/** Pure rendering of workload objects for the cases the stacks do not cover, each schema-validated. */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../components/config/load";
import { placement, renderDeployment, renderLoadTemplate, renderScaledJob, renderScaledObject, renderTriggerAuthentication, JOB_NAME_LABEL, type WorkloadInputs } from "../components/plan/workload";
import { shutdownBudget } from "../components/plan/shutdown";
import { validateKubernetesObject, kedaV220Violations } from "./harness/kubeValidate";

const spot = { name: "spot", vmSize: "Standard_D4ds_v5", priority: "Spot", maxCount: 10 };
const resources = { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } };
const workload = (w: Record<string, unknown>) => parseConfig({ pools: [spot], workloads: [{ name: "w", kind: "deployment", resources, ...w }] }).config.workloads[0];
const inputs = (kind: "serviceBus" | "storageQueue", shutdown = { terminationGracePeriodSeconds: 30, workerGraceMs: 20_000, spot: true }): WorkloadInputs => ({
    broker: { kind, entity: { queue: "jobs" }, resourceName: "acct", lockDurationMs: 60_000, maxDeliveryCount: 5 },
    results: { account: "res", container: "results" },
    image: "r.azurecr.io/kedascale-worker@sha256:" + "a".repeat(64),
    serviceAccountName: "w",
    loadServiceAccountName: "w-load",
    shutdown,
});

describe("renderScaledObject", () => {
    it("uses azure-queue with accountName for Storage queues, metadata as strings", () => {
        const so = renderScaledObject(workload({ target: 20, activation: 2 }), inputs("storageQueue"));
        validateKubernetesObject(so);
        expect(so.spec.triggers[0]).toEqual({
            type: "azure-queue",
            metadata: { queueName: "jobs", accountName: "acct", queueLength: "20", activationQueueLength: "2" },
            authenticationRef: { name: "w-azure-workload" },
        });
    });

    it("passes idle, fallback and HPA scale-down behaviour through", () => {
        const so = renderScaledObject(workload({ minReplicaCount: 1, idleReplicaCount: 0, fallback: { failureThreshold: 3, replicas: 2 }, scaleDown: { stabilizationWindowSeconds: 60, percentPerMinute: 25 } }), inputs("serviceBus"));
        validateKubernetesObject(so);
        expect(so.spec).toMatchObject({ idleReplicaCount: 0, minReplicaCount: 1, fallback: { failureThreshold: 3, replicas: 2 } });
        expect(so.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown).toEqual({ stabilizationWindowSeconds: 60, policies: [{ type: "Percent", value: 25, periodSeconds: 60 }] });
    });
});

describe("renderDeployment", () => {
    it("gives the worker a grace budget 10 s shorter than Kubernetes', probes and a locked-down container", () => {
        const w = workload({ placement: "system", terminationGracePeriodSeconds: 90 });
        const d = renderDeployment(w, inputs("serviceBus", shutdownBudget(w, [spot as any])));
        validateKubernetesObject(d);
        expect(d.spec.template.spec.terminationGracePeriodSeconds).toBe(90);
        const c = d.spec.template.spec.containers[0];
        expect(c.env).toContainEqual({ name: "KEDASCALE_GRACE_MS", value: "80000" });
        expect(c.env).toContainEqual({ name: "KEDASCALE_SERVICEBUS_NAMESPACE", value: "acct" });
        expect(c.livenessProbe.httpGet.path).toBe("/livez");
        expect(c.readinessProbe.httpGet.path).toBe("/healthz");
        expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    });
});

describe("renderScaledJob", () => {
    it("drains per Job when asked, and never carries a metricType", () => {
        const w = parseConfig({ pools: [spot], workloads: [{ name: "j", kind: "job", resources, job: { mode: "drain" } }] }).config.workloads[0];
        const sj = renderScaledJob(w, inputs("serviceBus"));
        validateKubernetesObject(sj);
        expect(sj.spec.jobTargetRef.template.spec.containers[0].args).toEqual(["work", "--drain"]);
        expect(sj.spec.triggers[0].metadata.messageCount).toBe("1");
        expect(renderTriggerAuthentication(w).spec).toEqual({ podIdentity: { provider: "azure-workload" } });
    });

    it("is caught by the v2.20 checks when it breaks KEDA's rules", () => {
        expect(kedaV220Violations({ kind: "ScaledJob", metadata: { name: "x" }, spec: { minReplicaCount: 5, maxReplicaCount: 2, rollout: { strategy: "fast" }, triggers: [{ metricType: "Value", metadata: { queueLength: 5 } }] } })).toEqual([
            "minReplicaCount 5 > maxReplicaCount 2",
            "trigger metadata queueLength is not a string",
            "metricType on a ScaledJob trigger",
            "rollout.strategy fast",
        ]);
    });
});

describe("placement", () => {
    it("puts system workloads on the system pool and lets any-placement tolerate Spot without requiring it", () => {
        expect(placement(workload({ placement: "system" }))).toEqual({ nodeSelector: { "kubernetes.azure.com/mode": "system" }, tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }] });
        const any = placement(workload({ placement: "any" }));
        expect(any.affinity).toBeUndefined();
        const preferred = placement(workload({ spotAffinity: "preferred" })) as any;
        expect(preferred.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight).toBe(100);
    });
});

describe("shutdownBudget", () => {
    const regular = { priority: "Regular" as const };
    const spotPool = { priority: "Spot" as const };
    it("fits Spot's ~30 s eviction notice when pods may land on Spot: 30 s for kubelet, 20 s for the worker", () => {
        expect(shutdownBudget({ placement: "spot", terminationGracePeriodSeconds: undefined }, [spotPool])).toEqual({ terminationGracePeriodSeconds: 30, workerGraceMs: 20_000, spot: true });
        // "any" tolerates Spot: with a Spot pool it can be evicted like any Spot pod.
        expect(shutdownBudget({ placement: "any", terminationGracePeriodSeconds: undefined }, [regular, spotPool])).toMatchObject({ terminationGracePeriodSeconds: 30, spot: true });
    });
    it("keeps 60 s (worker 50 s) on regular nodes, where kubelet honours the pod's grace", () => {
        expect(shutdownBudget({ placement: "system", terminationGracePeriodSeconds: undefined }, [spotPool])).toEqual({ terminationGracePeriodSeconds: 60, workerGraceMs: 50_000, spot: false });
        expect(shutdownBudget({ placement: "any", terminationGracePeriodSeconds: undefined }, [regular])).toMatchObject({ terminationGracePeriodSeconds: 60, spot: false });
    });
    it("honours an explicit grace, always leaving the worker 10 s less", () => {
        expect(shutdownBudget({ placement: "spot", terminationGracePeriodSeconds: 20 }, [spotPool])).toEqual({ terminationGracePeriodSeconds: 20, workerGraceMs: 10_000, spot: true });
    });
});

describe("renderLoadTemplate", () => {
    it("is a suspended CronJob that never runs by itself, and each run's id is the Job name it is created as", () => {
        const cron = renderLoadTemplate(workload({ loadTest: { messages: 500, workMs: 100 } }), inputs("serviceBus"))!;
        validateKubernetesObject(cron);
        expect(cron.kind).toBe("CronJob");
        expect(cron.metadata.name).toBe("w-load");
        expect(cron.spec.suspend).toBe(true);
        const job = cron.spec.jobTemplate.spec;
        // A retry would double the load.
        expect(job.backoffLimit).toBe(0);
        const pod = job.template.spec;
        expect(pod.serviceAccountName).toBe("w-load");
        expect(job.template.metadata.labels["azure.workload.identity/use"]).toBe("true");
        const c = pod.containers[0];
        expect(c.args).toEqual(["send", "--count", "500", "--concurrency", "32", "--size", "256", "--run-id", "$(KEDASCALE_RUN_ID)", "--work-ms", "100"]);
        // Kubernetes expands $(VAR) in args only from variables defined in the container's env.
        const runId = c.env.find((e: { name: string }) => e.name === "KEDASCALE_RUN_ID");
        expect(runId).toEqual({ name: "KEDASCALE_RUN_ID", valueFrom: { fieldRef: { fieldPath: `metadata.labels['${JOB_NAME_LABEL}']` } } });
        expect(JOB_NAME_LABEL).toBe("batch.kubernetes.io/job-name");
    });

    it("renders nothing without loadTest", () => {
        expect(renderLoadTemplate(workload({}), inputs("serviceBus"))).toBeUndefined();
    });
});
