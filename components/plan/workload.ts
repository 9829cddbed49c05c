/**
 * Pure rendering of one workload's Kubernetes objects (Deployment + ScaledObject, or ScaledJob; the
 * TriggerAuthentication; the load Job) from config and resolved Azure names. No Pulumi here, so every object
 * is schema-validated in tests exactly as it will be sent.
 */
import type { StackConfig } from "../config/stack";
import type { WorkloadConfig } from "../config/workloads";
import { isoDurationSeconds } from "../config/duration";
import { SPOT_LABEL } from "./pools";

/** Resolved values the objects need; strings, because rendering happens once Azure outputs are known. */
export interface WorkloadInputs {
    readonly broker: { kind: "serviceBus" | "storageQueue"; queueName: string; resourceName: string; lockDurationMs: number; maxDeliveryCount: number };
    readonly results: { account: string; container: string };
    /** Image by digest, so a code change rolls out and an unchanged one does not. */
    readonly image: string;
    readonly serviceAccountName: string;
    readonly loadServiceAccountName: string;
}

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace: string; labels?: Record<string, string> }; spec: Record<string, any> };

export const KEDA_API = "keda.sh/v1alpha1";
const WORKLOAD_IDENTITY_LABEL = { "azure.workload.identity/use": "true" };
/** AKS labels system-pool nodes kubernetes.azure.com/mode=system. */
const SYSTEM_NODE_SELECTOR = { "kubernetes.azure.com/mode": "system" };
const CRITICAL_ADDONS_TOLERATION = { key: "CriticalAddonsOnly", operator: "Exists" };
const SPOT_TOLERATION = { key: SPOT_LABEL.key, operator: "Equal", value: SPOT_LABEL.value, effect: "NoSchedule" };
/** The worker finishes or releases in-flight messages this long before kubelet's SIGKILL. */
const SHUTDOWN_MARGIN_SECONDS = 10;
const HEALTH_PORT = 8080;

export function triggerAuthenticationName(w: WorkloadConfig): string {
    return `${w.name}-azure-workload`;
}

/** Pod placement: tolerations and affinity per config (FACTS §2: Spot taint and label). */
export function placement(w: WorkloadConfig): Record<string, unknown> {
    switch (w.placement) {
        case "system":
            return { nodeSelector: SYSTEM_NODE_SELECTOR, tolerations: [CRITICAL_ADDONS_TOLERATION] };
        case "any":
            return { tolerations: [SPOT_TOLERATION] };
        case "spot": {
            const term = { matchExpressions: [{ key: SPOT_LABEL.key, operator: "In", values: [SPOT_LABEL.value] }] };
            const nodeAffinity =
                w.spotAffinity === "required"
                    ? { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term] } }
                    : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: term }] };
            return { tolerations: [SPOT_TOLERATION], affinity: { nodeAffinity } };
        }
    }
}

function brokerEnv(inputs: WorkloadInputs): { name: string; value: string }[] {
    const b = inputs.broker;
    return [
        { name: "KEDASCALE_BROKER", value: b.kind },
        { name: "KEDASCALE_QUEUE", value: b.queueName },
        b.kind === "serviceBus" ? { name: "KEDASCALE_SERVICEBUS_NAMESPACE", value: b.resourceName } : { name: "KEDASCALE_STORAGE_ACCOUNT", value: b.resourceName },
        { name: "KEDASCALE_RESULTS_ACCOUNT", value: inputs.results.account },
        { name: "KEDASCALE_RESULTS_CONTAINER", value: inputs.results.container },
        { name: "KEDASCALE_LOCK_DURATION_MS", value: String(b.lockDurationMs) },
        { name: "KEDASCALE_MAX_DELIVERY_COUNT", value: String(b.maxDeliveryCount) },
    ];
}

const SECURE_CONTAINER = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: 1000,
    capabilities: { drop: ["ALL"] },
};

function podSpec(w: WorkloadConfig, inputs: WorkloadInputs, args: string[], extra: Record<string, unknown>): Record<string, unknown> {
    const graceMs = Math.max(1, w.terminationGracePeriodSeconds - SHUTDOWN_MARGIN_SECONDS) * 1000;
    return {
        serviceAccountName: inputs.serviceAccountName,
        terminationGracePeriodSeconds: w.terminationGracePeriodSeconds,
        ...placement(w),
        containers: [
            {
                name: "worker",
                image: inputs.image,
                args,
                env: [...brokerEnv(inputs), { name: "KEDASCALE_GRACE_MS", value: String(graceMs) }],
                resources: { requests: { ...w.resources.requests }, limits: { ...w.resources.limits } },
                securityContext: SECURE_CONTAINER,
                ...extra,
            },
        ],
    };
}

function trigger(w: WorkloadConfig, inputs: WorkloadInputs): Record<string, unknown> {
    const target = String(w.target ?? (w.kind === "job" ? 1 : 5));
    const activation = String(w.activation);
    const b = inputs.broker;
    const metadata =
        b.kind === "serviceBus"
            ? { queueName: b.queueName, namespace: b.resourceName, messageCount: target, activationMessageCount: activation }
            : { queueName: b.queueName, accountName: b.resourceName, queueLength: target, activationQueueLength: activation };
    return { type: b.kind === "serviceBus" ? "azure-servicebus" : "azure-queue", metadata, authenticationRef: { name: triggerAuthenticationName(w) } };
}

const meta = (w: WorkloadConfig, name = w.name) => ({ name, namespace: w.namespace, labels: { "app.kubernetes.io/name": w.name, "app.kubernetes.io/part-of": "kedascale" } });

export function renderTriggerAuthentication(w: WorkloadConfig): K8sObject {
    // KEDA's own federated identity reads the queue length (podIdentity without identityId: FACTS §4, keda#4597).
    return { apiVersion: KEDA_API, kind: "TriggerAuthentication", metadata: meta(w, triggerAuthenticationName(w)), spec: { podIdentity: { provider: "azure-workload" } } };
}

export function renderDeployment(w: WorkloadConfig, inputs: WorkloadInputs): K8sObject {
    const labels = { "app.kubernetes.io/name": w.name };
    const probe = (path: string) => ({ httpGet: { path, port: HEALTH_PORT }, periodSeconds: 10, failureThreshold: 3 });
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: meta(w),
        spec: {
            // KEDA owns replicas; 0 until the queue has work.
            replicas: w.minReplicaCount,
            selector: { matchLabels: labels },
            template: {
                metadata: { labels: { ...labels, ...WORKLOAD_IDENTITY_LABEL } },
                spec: podSpec(w, inputs, ["work", "--inflight", String(w.inflight), "--health-port", String(HEALTH_PORT)], {
                    ports: [{ name: "health", containerPort: HEALTH_PORT }],
                    livenessProbe: probe("/healthz"),
                    readinessProbe: probe("/healthz"),
                }),
            },
        },
    };
}

export function renderScaledObject(w: WorkloadConfig, inputs: WorkloadInputs): K8sObject {
    const spec: Record<string, any> = {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: w.name },
        pollingInterval: w.pollingInterval,
        cooldownPeriod: w.cooldownPeriod,
        minReplicaCount: w.minReplicaCount,
        maxReplicaCount: w.maxReplicaCount,
        triggers: [trigger(w, inputs)],
    };
    if (w.idleReplicaCount !== undefined) spec.idleReplicaCount = w.idleReplicaCount;
    if (w.fallback) spec.fallback = { ...w.fallback };
    if (w.scaleDown) {
        spec.advanced = {
            horizontalPodAutoscalerConfig: {
                behavior: { scaleDown: { stabilizationWindowSeconds: w.scaleDown.stabilizationWindowSeconds, policies: [{ type: "Percent", value: w.scaleDown.percentPerMinute, periodSeconds: 60 }] } },
            },
        };
    }
    return { apiVersion: KEDA_API, kind: "ScaledObject", metadata: meta(w), spec };
}

export function renderScaledJob(w: WorkloadConfig, inputs: WorkloadInputs): K8sObject {
    return {
        apiVersion: KEDA_API,
        kind: "ScaledJob",
        metadata: meta(w),
        spec: {
            jobTargetRef: {
                parallelism: 1,
                completions: 1,
                backoffLimit: w.job.backoffLimit,
                activeDeadlineSeconds: w.job.activeDeadlineSeconds,
                template: {
                    metadata: { labels: { "app.kubernetes.io/name": w.name, ...WORKLOAD_IDENTITY_LABEL } },
                    spec: { restartPolicy: "Never", ...podSpec(w, inputs, ["work", `--${w.job.mode}`], {}) },
                },
            },
            pollingInterval: w.pollingInterval,
            minReplicaCount: w.minReplicaCount,
            maxReplicaCount: w.maxReplicaCount,
            successfulJobsHistoryLimit: w.job.successfulJobsHistoryLimit,
            failedJobsHistoryLimit: w.job.failedJobsHistoryLimit,
            rollout: { strategy: w.job.rollout },
            scalingStrategy: { strategy: w.job.scalingStrategy },
            triggers: [trigger(w, inputs)],
        },
    };
}

/** Seed 004's sender Job, secretless: runs `send` once with its own identity. */
export function renderLoadJob(w: WorkloadConfig, inputs: WorkloadInputs): K8sObject | undefined {
    if (!w.loadTest) return undefined;
    const lt = w.loadTest;
    const args = ["send", "--count", String(lt.messages), "--concurrency", String(lt.concurrency), "--size", String(lt.size), "--run-id", `${w.name}-load`];
    if (lt.workMs !== undefined) args.push("--work-ms", String(lt.workMs));
    return {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: meta(w, `${w.name}-load`),
        spec: {
            backoffLimit: 0,
            ttlSecondsAfterFinished: 3600,
            template: {
                metadata: { labels: { "app.kubernetes.io/name": `${w.name}-load`, ...WORKLOAD_IDENTITY_LABEL } },
                spec: {
                    restartPolicy: "Never",
                    ...podSpec({ ...w, placement: "any" }, { ...inputs, serviceAccountName: inputs.loadServiceAccountName }, args, {}),
                },
            },
        },
    };
}

/** Broker numbers the worker must agree with: the queue's lock and delivery limit. */
export function brokerLimits(cfg: StackConfig): { lockDurationMs: number; maxDeliveryCount: number } {
    const m = cfg.messaging;
    return m.broker === "serviceBus"
        ? { lockDurationMs: isoDurationSeconds(m.serviceBus.lockDuration) * 1000, maxDeliveryCount: m.serviceBus.maxDeliveryCount }
        : { lockDurationMs: 30_000, maxDeliveryCount: m.storageQueue.maxDequeueCount };
}

