/**
 * Pure rendering of one workload's Kubernetes objects (Deployment + ScaledObject, or ScaledJob; the
 * TriggerAuthentication; the suspended load template) from config and resolved Azure names. No Pulumi here, so
 * every object is schema-validated in tests exactly as it will be sent.
 */
import type { WorkloadConfig } from "../config/workloads";
import type { ShutdownBudget } from "./shutdown";
import { SPOT_LABEL } from "./pools";
import { onVirtualNodes } from "../config/virtualNodes";
import { azuriteCredentialEnv } from "./localAzurite";
import { aciResources, credentialEnv, pullSecretName, virtualNodePlacement, WORKER_COMMAND } from "./virtualNodes";

/**
 * One workload with every default applied: what the config schema yields, and what ScaledWorkload resolves its
 * args to (components/k8s/scaledWorkloadArgs.ts; test/componentDefaults.test.ts keeps the two sets of defaults equal).
 */
// The AKS renderer never reads where a workload runs (ACA workloads never reach it: index.ts filters them).
export type WorkloadSpec = Omit<WorkloadConfig, "platform" | "containerApps">;

/** Resolved values the objects need; strings, because rendering happens once Azure outputs are known. */
export interface WorkloadInputs {
    readonly broker: { kind: "serviceBus" | "storageQueue"; queueName: string; resourceName: string; lockDurationMs: number; maxDeliveryCount: number };
    readonly results: { account: string; container: string };
    /** Image by digest, so a code change rolls out and an unchanged one does not. */
    readonly image: string;
    readonly serviceAccountName: string;
    readonly loadServiceAccountName: string;
    /** How long a stopping pod has, from its placement (shutdownBudget). */
    readonly shutdown: ShutdownBudget;
    /**
     * The `local` stack: the Secret holding Azurite's connection string (plan/localAzurite.ts). Pods then get their
     * credential from it by secretKeyRef instead of naming the accounts for workload identity. Default: none.
     */
    readonly azuriteSecret?: string;
}

export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace: string; labels?: Record<string, string> }; spec: Record<string, any> };

export const KEDA_API = "keda.sh/v1alpha1";
const WORKLOAD_IDENTITY_LABEL = { "azure.workload.identity/use": "true" };
/** AKS labels system-pool nodes kubernetes.azure.com/mode=system. */
const SYSTEM_NODE_SELECTOR = { "kubernetes.azure.com/mode": "system" };
const CRITICAL_ADDONS_TOLERATION = { key: "CriticalAddonsOnly", operator: "Exists" };
const SPOT_TOLERATION = { key: SPOT_LABEL.key, operator: "Equal", value: SPOT_LABEL.value, effect: "NoSchedule" };
const HEALTH_PORT = 8080;

/**
 * The workload-identity webhook label, except on virtual-node pods: ACI runs no workload identity (FACTS §1), and
 * the webhook's projected token volume is one more volume the pod cannot use.
 */
const identityLabel = (w: Pick<WorkloadSpec, "placement">) => (onVirtualNodes(w) ? {} : WORKLOAD_IDENTITY_LABEL);

export function triggerAuthenticationName(w: WorkloadSpec): string {
    return `${w.name}-azure-workload`;
}

/** Pod placement: tolerations and affinity per config (FACTS §2: Spot taint and label). */
export function placement(w: WorkloadSpec): Record<string, unknown> {
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
        case "virtualNodes":
        case "spotThenVirtualNodes":
            return virtualNodePlacement(w.placement);
    }
}

function brokerEnv(inputs: WorkloadInputs, secretCredential: boolean): { name: string; value: string }[] {
    const b = inputs.broker;
    // A virtual-node pod has no identity: it connects with the Secret's connection strings (credentialEnv), so the
    // names that select identity auth are left out rather than ignored.
    const identityNames = secretCredential
        ? []
        : [
              b.kind === "serviceBus" ? { name: "KEDASCALE_SERVICEBUS_NAMESPACE", value: b.resourceName } : { name: "KEDASCALE_STORAGE_ACCOUNT", value: b.resourceName },
              { name: "KEDASCALE_RESULTS_ACCOUNT", value: inputs.results.account },
          ];
    return [
        { name: "KEDASCALE_BROKER", value: b.kind },
        { name: "KEDASCALE_QUEUE", value: b.queueName },
        ...identityNames,
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

function podSpec(w: WorkloadSpec, inputs: WorkloadInputs, args: string[], extra: Record<string, unknown>, extraEnv: Record<string, unknown>[] = []): Record<string, unknown> {
    if (onVirtualNodes(w)) return virtualNodePodSpec(w, inputs, args, extraEnv);
    return {
        serviceAccountName: inputs.serviceAccountName,
        terminationGracePeriodSeconds: inputs.shutdown.terminationGracePeriodSeconds,
        ...placement(w),
        containers: [
            {
                name: "worker",
                image: inputs.image,
                args,
                env: [
                    ...brokerEnv(inputs, inputs.azuriteSecret !== undefined),
                    { name: "KEDASCALE_GRACE_MS", value: String(inputs.shutdown.workerGraceMs) },
                    ...(inputs.azuriteSecret !== undefined ? azuriteCredentialEnv(inputs.azuriteSecret) : []),
                    ...extraEnv,
                ],
                resources: { requests: { ...w.resources.requests }, limits: { ...w.resources.limits } },
                securityContext: SECURE_CONTAINER,
                ...extra,
            },
        ],
    };
}

/**
 * A pod ACI can run (limits/aci.ts): the add-on's placement, command + args, requests = limits at ACI's steps, the
 * credential from the workload's Secret and the image from its pull secret; no probes, ports, volumes, init
 * containers or hooks, and no service-account token (nothing in the pod talks to the Kubernetes API).
 */
function virtualNodePodSpec(w: WorkloadSpec, inputs: WorkloadInputs, args: string[], extraEnv: Record<string, unknown>[]): Record<string, unknown> {
    const { cpu, memory } = aciResources(w.resources.requests);
    return {
        serviceAccountName: inputs.serviceAccountName,
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: inputs.shutdown.terminationGracePeriodSeconds,
        ...placement(w),
        imagePullSecrets: [{ name: pullSecretName(w.name) }],
        containers: [
            {
                name: "worker",
                image: inputs.image,
                command: [...WORKER_COMMAND],
                args,
                env: [
                    ...brokerEnv(inputs, true),
                    { name: "KEDASCALE_GRACE_MS", value: String(inputs.shutdown.workerGraceMs) },
                    ...credentialEnv(w.name, inputs.broker.kind),
                    ...extraEnv,
                ],
                resources: { requests: { cpu, memory }, limits: { cpu, memory } },
                securityContext: SECURE_CONTAINER,
            },
        ],
    };
}

function trigger(w: WorkloadSpec, inputs: WorkloadInputs): Record<string, unknown> {
    const target = String(w.target ?? (w.kind === "job" ? 1 : 5));
    const activation = String(w.activation);
    const b = inputs.broker;
    const metadata =
        b.kind === "serviceBus"
            ? { queueName: b.queueName, namespace: b.resourceName, messageCount: target, activationMessageCount: activation }
            : { queueName: b.queueName, accountName: b.resourceName, queueLength: target, activationQueueLength: activation };
    return { type: b.kind === "serviceBus" ? "azure-servicebus" : "azure-queue", metadata, authenticationRef: { name: triggerAuthenticationName(w) } };
}

const meta = (w: WorkloadSpec, name = w.name) => ({ name, namespace: w.namespace, labels: { "app.kubernetes.io/name": w.name, "app.kubernetes.io/part-of": "kedascale" } });

export function renderTriggerAuthentication(w: WorkloadSpec): K8sObject {
    // KEDA's own federated identity reads the queue length (podIdentity without identityId: FACTS §4, keda#4597).
    return { apiVersion: KEDA_API, kind: "TriggerAuthentication", metadata: meta(w, triggerAuthenticationName(w)), spec: { podIdentity: { provider: "azure-workload" } } };
}

export function renderDeployment(w: WorkloadSpec, inputs: WorkloadInputs): K8sObject {
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
                metadata: { labels: { ...labels, ...identityLabel(w) } },
                // ACI: no probes (azure-aci README), so no health port either.
                spec: onVirtualNodes(w)
                    ? podSpec(w, inputs, ["work", "--inflight", String(w.inflight)], {})
                    : podSpec(w, inputs, ["work", "--inflight", String(w.inflight), "--health-port", String(HEALTH_PORT)], {
                          ports: [{ name: "health", containerPort: HEALTH_PORT }],
                          livenessProbe: probe("/healthz"),
                          readinessProbe: probe("/healthz"),
                      }),
            },
        },
    };
}

export function renderScaledObject(w: WorkloadSpec, inputs: WorkloadInputs): K8sObject {
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

export function renderScaledJob(w: WorkloadSpec, inputs: WorkloadInputs): K8sObject {
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
                    metadata: { labels: { "app.kubernetes.io/name": w.name, ...identityLabel(w) } },
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

/** Name of the suspended CronJob that holds a workload's load run template. */
export function loadTemplateName(w: Pick<WorkloadSpec, "name">): string {
    return `${w.name}-load`;
}

/** Label the Job controller puts on a Job's pods (Kubernetes ≥ 1.27; the older `job-name` is kept alongside). */
export const JOB_NAME_LABEL = "batch.kubernetes.io/job-name";

/**
 * Seed 004's sender, secretless, as an explicit act rather than a side effect of `pulumi up`.
 * pulumi-kubernetes replaces a Job whenever its pod template changes (FACTS §10), so a program-owned load Job
 * re-sent the load on every new image (in scale1000, ~1,000 messages → ~1,000 Spot nodes). This is a suspended
 * CronJob instead: it never schedules anything; it is the template that
 * `kubectl create job <workload>-load-<stamp> --from=cronjob/<workload>-load` copies into a one-off Job.
 * The run id is that Job's name (downward API → env → `$(KEDASCALE_RUN_ID)` in args), so every run has its
 * own id and `verify` of a rerun can never pass on an earlier run's results (the manifest is written once).
 */
export function renderLoadTemplate(w: WorkloadSpec, inputs: WorkloadInputs): K8sObject | undefined {
    if (!w.loadTest) return undefined;
    const lt = w.loadTest;
    const args = ["send", "--count", String(lt.messages), "--concurrency", String(lt.concurrency), "--size", String(lt.size), "--run-id", "$(KEDASCALE_RUN_ID)"];
    if (lt.workMs !== undefined) args.push("--work-ms", String(lt.workMs));
    const runIdEnv = { name: "KEDASCALE_RUN_ID", valueFrom: { fieldRef: { fieldPath: `metadata.labels['${JOB_NAME_LABEL}']` } } };
    return {
        apiVersion: "batch/v1",
        kind: "CronJob",
        metadata: meta(w, loadTemplateName(w)),
        spec: {
            // Never runs by itself: only `kubectl create job --from=cronjob/...` starts a run. The schedule is
            // required by the API and ignored while suspended.
            suspend: true,
            schedule: "0 0 1 1 *",
            concurrencyPolicy: "Forbid",
            successfulJobsHistoryLimit: 0,
            failedJobsHistoryLimit: 1,
            jobTemplate: {
                spec: {
                    // A retry would send the load twice.
                    backoffLimit: 0,
                    ttlSecondsAfterFinished: 86_400,
                    template: {
                        metadata: { labels: { "app.kubernetes.io/name": loadTemplateName(w), ...WORKLOAD_IDENTITY_LABEL } },
                        spec: {
                            restartPolicy: "Never",
                            ...podSpec({ ...w, placement: "any" }, { ...inputs, serviceAccountName: inputs.loadServiceAccountName }, args, {}, [runIdEnv]),
                        },
                    },
                },
            },
        },
    };
}
