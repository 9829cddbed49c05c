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
import { contractEnv } from "./contract";
import { isQueue, type BrokerKind, type Entity } from "./entities";
import type { K8sObject } from "./k8sObject";
import { aciResources, credentialEnv, pullSecretName, virtualNodePlacement, WORKER_COMMAND } from "./virtualNodes";
import { runsWorker, workloadRuntime } from "./workloadImage";
import { handlerFlags, WORKER_HEALTH_PORT } from "./handler";
import { handlerContainer, ownEnv, teamSecurityContext, HANDLER_CONTAINER, SKIP_IDENTITY_ANNOTATION, TEAM_TMP } from "./teamContainer";

export type { K8sObject } from "./k8sObject";

/**
 * One workload with every default applied: what the config schema yields, and what ScaledWorkload resolves its
 * args to (components/k8s/scaledWorkloadArgs.ts; test/componentDefaults.test.ts keeps the two sets of defaults equal).
 */
// The AKS renderer never reads where a workload runs (ACA workloads never reach it: index.ts filters them).
export type WorkloadSpec = Omit<WorkloadConfig, "platform" | "containerApps">;

/** Resolved values the objects need; strings, because rendering happens once Azure outputs are known. */
export interface WorkloadInputs {
    /** The workload's own queue or topic subscription, in its broker (plan/entities.ts). */
    readonly broker: { kind: BrokerKind; entity: Entity; resourceName: string; lockDurationMs: number; maxDeliveryCount: number };
    readonly results: { account: string; container: string };
    /** The workload's image: the kedascale worker's or the team's, by digest when built here. */
    readonly image: string;
    /** The kedascale worker image, which the load-run template always runs (its `send`). Default: `image`. */
    readonly workerImage?: string;
    /**
     * Virtual nodes: whether pods pull with the workload's ACR token (`<name>-aci-pull`): an image in the stack's
     * registry. A public image needs none. Default: true.
     */
    readonly pullSecret?: boolean;
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

export const KEDA_API = "keda.sh/v1alpha1";
const WORKLOAD_IDENTITY_LABEL = { "azure.workload.identity/use": "true" };
/** AKS labels system-pool nodes kubernetes.azure.com/mode=system. */
const SYSTEM_NODE_SELECTOR = { "kubernetes.azure.com/mode": "system" };
const CRITICAL_ADDONS_TOLERATION = { key: "CriticalAddonsOnly", operator: "Exists" };
const SPOT_TOLERATION = { key: SPOT_LABEL.key, operator: "Equal", value: SPOT_LABEL.value, effect: "NoSchedule" };
const HEALTH_PORT = WORKER_HEALTH_PORT;

/**
 * The workload-identity webhook label, except on virtual-node pods: ACI runs no workload identity (FACTS §1), and
 * the webhook's projected token volume is one more volume the pod cannot use; nor in the local stack, whose laptop
 * cluster has no webhook and whose pods authenticate with Azurite's Secret.
 */
const identityLabel = (w: Pick<WorkloadSpec, "placement">, inputs: Pick<WorkloadInputs, "azuriteSecret">) => (onVirtualNodes(w) || inputs.azuriteSecret !== undefined ? {} : WORKLOAD_IDENTITY_LABEL);

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

/** The kedascale worker's container hardening (its image runs as `node`, uid 1000: consumer/Dockerfile). */
const SECURE_CONTAINER = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: 1000,
    capabilities: { drop: ["ALL"] },
};

/**
 * The container's command and arguments: kedascale's for its worker (`args`, with a handler's flags last), the
 * workload's own for a team image. An exec image is built FROM the worker image, so the worker's ENTRYPOINT (and on
 * ACI, which needs a command with args, WORKER_COMMAND) is its too.
 */
function entrypoint(w: WorkloadSpec, workerArgs: string[], aci: boolean): Record<string, unknown> {
    const runtime = workloadRuntime(w);
    if (runsWorker(runtime)) {
        const args = [...workerArgs, ...handlerFlags(runtime)];
        return aci ? { command: [...WORKER_COMMAND], args } : { args };
    }
    return { ...(w.command ? { command: [...w.command] } : {}), ...(w.args ? { args: [...w.args] } : {}) };
}

/** Pod template annotations: an http handler's container is skipped by the workload-identity webhook. */
const podAnnotations = (w: WorkloadSpec, inputs: Pick<WorkloadInputs, "azuriteSecret">) =>
    workloadRuntime(w).kind === "http" && Object.keys(identityLabel(w, inputs)).length > 0 ? { annotations: { [SKIP_IDENTITY_ANNOTATION]: HANDLER_CONTAINER } } : {};

function podSpec(w: WorkloadSpec, inputs: WorkloadInputs, args: string[], extra: Record<string, unknown>, extraEnv: Record<string, unknown>[] = [], job = false): Record<string, unknown> {
    if (onVirtualNodes(w)) return virtualNodePodSpec(w, inputs, args, extraEnv);
    const runtime = workloadRuntime(w);
    // The pod's first container runs the team's image (its own, or one built FROM the worker image for exec).
    const team = runtime.kind === "image" || runtime.kind === "exec";
    const http = runtime.kind === "http" ? runtime : undefined;
    if (http && inputs.workerImage === undefined) throw new Error(`workload ${w.name}: an http handler runs beside the kedascale worker, so WorkloadInputs.workerImage is required`);
    const handler = http ? handlerContainer(w, inputs.image, http, job) : undefined;
    return {
        serviceAccountName: inputs.serviceAccountName,
        terminationGracePeriodSeconds: inputs.shutdown.terminationGracePeriodSeconds,
        ...placement(w),
        ...(handler && job ? { initContainers: [handler] } : {}),
        containers: [
            {
                name: "worker",
                image: http ? inputs.workerImage : inputs.image,
                ...entrypoint(w, args, false),
                env: [
                    ...contractEnv(inputs, inputs.azuriteSecret !== undefined ? "secret" : "identity"),
                    { name: "KEDASCALE_GRACE_MS", value: String(inputs.shutdown.workerGraceMs) },
                    ...(inputs.azuriteSecret !== undefined ? azuriteCredentialEnv(inputs.azuriteSecret) : []),
                    // With an http handler the workload's env is the handler's (the team's container), not the worker's.
                    ...(http ? [] : ownEnv(w)),
                    ...extraEnv,
                ],
                resources: { requests: { ...w.resources.requests }, limits: { ...w.resources.limits } },
                securityContext: team ? teamSecurityContext(w) : SECURE_CONTAINER,
                ...(team ? { volumeMounts: [TEAM_TMP.mount] } : {}),
                ...extra,
            },
            ...(handler && !job ? [handler] : []),
        ],
        ...(team || handler ? { volumes: [TEAM_TMP.volume] } : {}),
    };
}

/**
 * A pod ACI can run (limits/aci.ts): the add-on's placement, command + args, requests = limits at ACI's steps, the
 * credential from the workload's Secret and the image from its pull secret (an image in the stack's registry); no
 * probes, ports, volumes, init containers or hooks, and no service-account token (nothing in the pod talks to the
 * Kubernetes API).
 *
 * No securityContext (issue 23 point 12): the connector maps none of it to the container group (virtual-kubelet/
 * azure-aci getContainers reads image, command, args, ports, env, resources and probes only; FACTS §1), so
 * runAsNonRoot, a read-only root and dropped capabilities would read as enforced and are not. What holds there
 * instead: each container group runs in its own hypervisor-isolated sandbox (ACI's container-group isolation), ACI
 * runs no privileged container, and the process runs as the image's own USER — the worker image's is `node`
 * (uid 1000, consumer/Dockerfile), a team image's is whatever its Dockerfile says (docs/bring-your-own-worker.md).
 */
function virtualNodePodSpec(w: WorkloadSpec, inputs: WorkloadInputs, args: string[], extraEnv: Record<string, unknown>[]): Record<string, unknown> {
    const { cpu, memory } = aciResources(w.resources.requests);
    return {
        serviceAccountName: inputs.serviceAccountName,
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: inputs.shutdown.terminationGracePeriodSeconds,
        ...placement(w),
        ...(inputs.pullSecret === false ? {} : { imagePullSecrets: [{ name: pullSecretName(w.name) }] }),
        containers: [
            {
                name: "worker",
                image: inputs.image,
                ...entrypoint(w, args, true),
                env: [
                    ...contractEnv(inputs, "secret"),
                    { name: "KEDASCALE_GRACE_MS", value: String(inputs.shutdown.workerGraceMs) },
                    ...credentialEnv(w.name, inputs.broker.kind),
                    ...ownEnv(w),
                    ...extraEnv,
                ],
                resources: { requests: { cpu, memory }, limits: { cpu, memory } },
            },
        ],
    };
}

function trigger(w: WorkloadSpec, inputs: WorkloadInputs): Record<string, unknown> {
    const target = String(w.target ?? (w.kind === "job" ? 1 : 5));
    const activation = String(w.activation);
    const b = inputs.broker;
    const e = b.entity;
    // azure-servicebus: queueName, or topicName + subscriptionName (KEDA's scaler docs; seed 004).
    const where = isQueue(e) ? { queueName: e.queue } : { topicName: e.topic, subscriptionName: e.subscription };
    const metadata =
        b.kind === "serviceBus"
            ? { ...where, namespace: b.resourceName, messageCount: target, activationMessageCount: activation }
            : { ...where, accountName: b.resourceName, queueLength: target, activationQueueLength: activation };
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
                metadata: { labels: { ...labels, ...identityLabel(w, inputs) }, ...podAnnotations(w, inputs) },
                // ACI: no probes (azure-aci README), so no health port either; a team image's health port is its own.
                // The worker's: /livez answers 200 while it waits for late resources (the queue, the handler), so the
                // kubelet does not restart it meanwhile; /healthz (readiness) only once it receives.
                spec: onVirtualNodes(w) || workloadRuntime(w).kind === "image"
                    ? podSpec(w, inputs, ["work", "--inflight", String(w.inflight)], {})
                    : podSpec(w, inputs, ["work", "--inflight", String(w.inflight), "--health-port", String(HEALTH_PORT)], {
                          ports: [{ name: "health", containerPort: HEALTH_PORT }],
                          livenessProbe: probe("/livez"),
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
                    metadata: { labels: { "app.kubernetes.io/name": w.name, ...identityLabel(w, inputs) }, ...podAnnotations(w, inputs) },
                    spec: { restartPolicy: "Never", ...podSpec(w, inputs, ["work", `--${w.job.mode}`], {}, [], true) },
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
                        metadata: { labels: { "app.kubernetes.io/name": loadTemplateName(w), ...(inputs.azuriteSecret !== undefined ? {} : WORKLOAD_IDENTITY_LABEL) } },
                        spec: {
                            restartPolicy: "Never",
                            // Always the kedascale worker's `send`, whatever image the workload runs.
                            ...podSpec({ ...w, placement: "any", image: undefined, handler: undefined, command: undefined, args: undefined, env: {}, runAsUser: undefined }, { ...inputs, image: inputs.workerImage ?? inputs.image, serviceAccountName: inputs.loadServiceAccountName }, args, {}, [runIdEnv]),
                        },
                    },
                },
            },
        },
    };
}
