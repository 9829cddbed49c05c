/**
 * Pure rendering of one workload as an Azure Container Apps job (`app.Job`, azure-native 3.28.0, API
 * 2025-02-02-preview) from config and resolved Azure names. No Pulumi at run time (the azure-native import is
 * type-only): tests check every field exactly as it is sent.
 *
 * Shape (node_modules/@pulumi/azure-native/types/input.d.ts, namespace app): JobConfigurationArgs { triggerType,
 * replicaTimeout (required), replicaRetryLimit, registries: RegistryCredentialsArgs[] { server, identity },
 * identitySettings: IdentitySettingsArgs[] { identity, lifecycle }, eventTriggerConfig:
 * JobConfigurationEventTriggerConfigArgs { parallelism, replicaCompletionCount, scale: JobScaleArgs { minExecutions,
 * maxExecutions, pollingInterval, rules: JobScaleRuleArgs[] { name, type, metadata, identity } } } };
 * ManagedServiceIdentityArgs { type, userAssignedIdentities: string[] }; JobTemplateArgs { containers:
 * ContainerArgs[] { name, image, args, env: EnvironmentVarArgs[] { name, value }, resources:
 * ContainerResourcesArgs { cpu: number, memory: string } } }; JobArgs.workloadProfileName.
 *
 * Why each choice (FACTS §7, §9):
 * - The seed's job never consumed its message, so the scale rule saw it forever and started execution after
 *   execution. Here each replica runs our worker with `work --once`: it receives one message, completes (Service
 *   Bus) or deletes (Storage) it after writing the result, or parks it after maxDeliveryCount — the queue drains and
 *   the rule stops firing.
 * - A scale rule's `identity` (a user-assigned identity's resource id) replaces `auth` secrets (API
 *   2024-02-02-preview and later; managed-identity.md "Use managed identity for scale rules"). The rule's metadata
 *   are KEDA's scaler metadata (same as the AKS ScaledJob's trigger).
 * - Two identities: the worker's (AcrPull, receive, write results) is the only one the container can get tokens for
 *   (identitySettings lifecycle Main); the scaler's (read queue metrics — Data Owner on a Service Bus queue) has
 *   lifecycle None, so the platform uses it for the scale rule but the worker's code never can
 *   (managed-identity.md "Control managed identity availability").
 * - The registry is pulled with the worker identity (`registries[].identity`): no admin user, no password secret.
 * - No `secrets`, no `secretRef`, no `auth`: nothing in the job holds a credential.
 */
import type * as azureInputs from "@pulumi/azure-native/types/input";
import { CONSUMPTION_PROFILE, DEFAULT_MAX_EXECUTIONS, DEFAULT_POLLING_INTERVAL } from "../limits/containerApps";
import { contractEnv } from "./contract";
import { isQueue, type BrokerKind, type Entity } from "./entities";

/**
 * What one ACA job runs and how it scales: the component's own settings, mapped from a workload's config by
 * components/stackArgs.ts (containerAppsJobSettings). Defaults are ACA's where it has one.
 */
export interface ContainerAppsJobSettings {
    /** Worker mode: `once` (one message per replica, the default) or `drain` (until the queue is empty). */
    mode?: "once" | "drain";
    /** vCPU per replica: 0.25–4 in 0.25 steps on the Consumption profile. Required. */
    cpu: number;
    /** GiB per replica: exactly 2 × cpu on the Consumption profile. Required. */
    memoryGi: number;
    /** Messages per execution (the scale rule's messageCount / queueLength). Default 1. */
    messagesPerExecution?: number;
    /** Messages that start the first execution (activationMessageCount / activationQueueLength). Default 0. */
    activationMessages?: number;
    /** Seconds between scale-rule polls. Default 30 (ACA's). */
    pollingInterval?: number;
    /** Executions started per poll whatever the queue holds. Default 0 (ACA's). */
    minExecutions?: number;
    /** Most executions per poll. Default 100 (ACA's). */
    maxExecutions?: number;
    /** Replicas per execution. Default 1. */
    parallelism?: number;
    /** Replicas that must succeed for the execution to succeed (≤ parallelism). Default 1. */
    replicaCompletionCount?: number;
    /** Seconds a replica may run before ACA stops it. Default 900 (the AKS ScaledJob's activeDeadlineSeconds default). */
    replicaTimeout?: number;
    /** Retries of a failed replica. Default 2 (the AKS ScaledJob's backoffLimit default). */
    replicaRetryLimit?: number;
    /**
     * A team image (issue 21): its command and arguments replace the kedascale worker's `work --<mode>` (then `mode`
     * has no meaning). Default: none (the kedascale worker).
     */
    teamImage?: { command?: string[]; args?: string[] };
    /** Extra environment after the contract's (names checked by preflight). Default: none. */
    env?: Record<string, string>;
}

/** The settings with every default filled in. */
export type ResolvedContainerAppsJobSettings = Required<Omit<ContainerAppsJobSettings, "teamImage">> & Pick<ContainerAppsJobSettings, "teamImage">;

export function resolveContainerAppsJobSettings(s: ContainerAppsJobSettings): ResolvedContainerAppsJobSettings {
    return {
        mode: s.mode ?? "once",
        cpu: s.cpu,
        memoryGi: s.memoryGi,
        messagesPerExecution: s.messagesPerExecution ?? 1,
        activationMessages: s.activationMessages ?? 0,
        pollingInterval: s.pollingInterval ?? DEFAULT_POLLING_INTERVAL,
        minExecutions: s.minExecutions ?? 0,
        maxExecutions: s.maxExecutions ?? DEFAULT_MAX_EXECUTIONS,
        parallelism: s.parallelism ?? 1,
        replicaCompletionCount: s.replicaCompletionCount ?? 1,
        replicaTimeout: s.replicaTimeout ?? 900,
        replicaRetryLimit: s.replicaRetryLimit ?? 2,
        teamImage: s.teamImage,
        env: s.env ?? {},
    };
}

/** Resolved values the job needs; strings, because rendering happens once Azure outputs are known. */
export interface ContainerAppsJobInputs {
    /** The workload's own queue or topic subscription in its broker. */
    readonly broker: { kind: BrokerKind; entity: Entity; resourceName: string; lockDurationMs: number; maxDeliveryCount: number };
    readonly results: { account: string; container: string };
    /** The image (the worker's or the team's), by digest when built here, so a code change rolls out and an unchanged one does not. */
    readonly image: string;
    /**
     * The ACR login server the image is pulled from with the worker identity (e.g. kedascaleacr1a2b3c.azurecr.io, or
     * another ACR's); none for a public image, which ACA pulls anonymously (plan/workloadImage.ts pullAccess).
     */
    readonly registryServer?: string;
    /** The worker's user-assigned identity: resource id and client id (AZURE_CLIENT_ID for ManagedIdentityCredential). */
    readonly workerIdentity: { id: string; clientId: string };
    /** The scale rule's user-assigned identity (resource id). */
    readonly scalerIdentity: { id: string };
}

export interface AcaEnvVar {
    readonly name: string;
    readonly value: string;
}

export interface AcaScaleRule {
    readonly name: string;
    readonly type: "azure-servicebus" | "azure-queue";
    readonly metadata: Record<string, string>;
    readonly identity: string;
}

/** The rendered job, minus what the component adds (resource group, location, job name, environment id). */
export interface ContainerAppsJobSpec {
    configuration: {
        triggerType: "Event";
        replicaTimeout: number;
        replicaRetryLimit: number;
        registries: { server: string; identity: string }[];
        identitySettings: { identity: string; lifecycle: "Main" | "None" }[];
        eventTriggerConfig: {
            parallelism: number;
            replicaCompletionCount: number;
            scale: { minExecutions: number; maxExecutions: number; pollingInterval: number; rules: AcaScaleRule[] };
        };
    };
    identity: { type: "UserAssigned"; userAssignedIdentities: string[] };
    template: { containers: { name: string; image: string; command?: string[]; args?: string[]; env: AcaEnvVar[]; resources: { cpu: number; memory: string } }[] };
    workloadProfileName: string;
}

/** Compile-time proof that the rendered spec is what azure-native 3.28.0's app.Job accepts (tsc fails otherwise). */
type Assignable<T, U extends T> = U;
export type _ConfigurationFits = Assignable<azureInputs.app.JobConfigurationArgs, ContainerAppsJobSpec["configuration"]>;
export type _IdentityFits = Assignable<azureInputs.app.ManagedServiceIdentityArgs, ContainerAppsJobSpec["identity"]>;
export type _TemplateFits = Assignable<azureInputs.app.JobTemplateArgs, ContainerAppsJobSpec["template"]>;

/** ACA memory, in the only unit it takes (Gi): 0.5 → "0.5Gi". */
export function acaMemory(gi: number): string {
    return `${Number(gi.toFixed(2))}Gi`;
}

/** Cores the job holds at full scale: maxExecutions × parallelism replicas of `cpu` (what the environment quota counts). */
export function coresAtMax(s: ContainerAppsJobSettings): number {
    const r = resolveContainerAppsJobSettings(s);
    return r.maxExecutions * r.parallelism * r.cpu;
}

/** The scale rule: KEDA's scaler type and metadata, authenticated by the scaler identity (never `auth`). */
export function scaleRule(settings: ContainerAppsJobSettings, inputs: ContainerAppsJobInputs): AcaScaleRule {
    const s = resolveContainerAppsJobSettings(settings);
    // One message per execution by default, as for the AKS ScaledJob (FACTS §9: both scalers count in-flight messages).
    const target = String(s.messagesPerExecution);
    const activation = String(s.activationMessages);
    const b = inputs.broker;
    const e = b.entity;
    // KEDA's azure-servicebus metadata: queueName, or topicName + subscriptionName (ACA passes them through, FACTS §7).
    const where: Record<string, string> = isQueue(e) ? { queueName: e.queue } : { topicName: e.topic, subscriptionName: e.subscription };
    return b.kind === "serviceBus"
        ? {
              name: "queue",
              type: "azure-servicebus",
              // `namespace` is required with identity auth: there is no connection string to take it from (FACTS §9).
              metadata: { ...where, namespace: b.resourceName, messageCount: target, activationMessageCount: activation },
              identity: inputs.scalerIdentity.id,
          }
        : {
              name: "queue",
              type: "azure-queue",
              metadata: { ...where, accountName: b.resourceName, queueLength: target, activationQueueLength: activation },
              identity: inputs.scalerIdentity.id,
          };
}

/**
 * The worker's environment: where the queue and results are, the queue's lock and delivery limit it must match,
 * and AZURE_CLIENT_ID so the credential asks ACA's identity endpoint for the worker identity's token (the job also
 * carries the scaler identity; without a client id the request would be ambiguous). Every KEDASCALE_* name is a
 * flag the worker reads or a contract variable (plan/contract.ts; test/containerAppsJob.test.ts checks). The
 * workload's own `env` follows.
 */
export function workerEnv(inputs: ContainerAppsJobInputs, own: Record<string, string> = {}): AcaEnvVar[] {
    return [
        ...contractEnv(inputs, "identity"),
        { name: "AZURE_CLIENT_ID", value: inputs.workerIdentity.clientId },
        ...Object.entries(own).map(([name, value]) => ({ name, value })),
    ];
}

/** The whole job spec for one ACA job. */
export function renderContainerAppsJob(settings: ContainerAppsJobSettings, inputs: ContainerAppsJobInputs): ContainerAppsJobSpec {
    const s = resolveContainerAppsJobSettings(settings);
    return {
        configuration: {
            triggerType: "Event",
            replicaTimeout: s.replicaTimeout,
            replicaRetryLimit: s.replicaRetryLimit,
            registries: inputs.registryServer === undefined ? [] : [{ server: inputs.registryServer, identity: inputs.workerIdentity.id }],
            identitySettings: [
                { identity: inputs.workerIdentity.id, lifecycle: "Main" },
                { identity: inputs.scalerIdentity.id, lifecycle: "None" },
            ],
            eventTriggerConfig: {
                parallelism: s.parallelism,
                replicaCompletionCount: s.replicaCompletionCount,
                scale: { minExecutions: s.minExecutions, maxExecutions: s.maxExecutions, pollingInterval: s.pollingInterval, rules: [scaleRule(s, inputs)] },
            },
        },
        identity: { type: "UserAssigned", userAssignedIdentities: [inputs.workerIdentity.id, inputs.scalerIdentity.id] },
        template: {
            containers: [
                {
                    name: "worker",
                    image: inputs.image,
                    ...(s.teamImage === undefined
                        ? { args: ["work", `--${s.mode}`] }
                        : { ...(s.teamImage.command ? { command: [...s.teamImage.command] } : {}), ...(s.teamImage.args ? { args: [...s.teamImage.args] } : {}) }),
                    env: workerEnv(inputs, s.env),
                    resources: { cpu: s.cpu, memory: acaMemory(s.memoryGi) },
                },
            ],
        },
        workloadProfileName: CONSUMPTION_PROFILE.name,
    };
}
