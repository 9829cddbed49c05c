/**
 * The `workloads` stack output and `npm run plan`'s "Workloads" section (issue 21 point 6): per workload, the entity
 * it reads, every grant on it, its image and how the platform pulls it. Pure, from config and the resolved broker
 * names; test/workloadPlan.test.ts checks each line against the resources the program registers.
 */
import { onContainerApps } from "../config/workloadPlatform";
import type { StackConfig } from "../config/stack";
import { acaScalerIdentityName, acaWorkerIdentityName } from "./containerAppsNames";
import { deadLetterPath, describeEntity, isQueue, poisonQueueName, readsVirtualNodeBroker, workloadBrokerKind, workloadEntity } from "./entities";
import { intentRoles, type EntityRole, type EntityScope, type MessagingIntent } from "./entityAccess";
import { kedaIdentityName, loadIdentityName, workloadIdentityName } from "./names";
import { SAS_PERMISSIONS } from "./virtualNodes";
import { imageSource, pullAccess, workloadRuntime, type PullPlatform } from "./workloadImage";

/** Azure's display names of the built-in roles (FACTS §5). */
export const ROLE_DISPLAY: Record<EntityRole | "acrPull", string> = {
    serviceBusDataReceiver: "Azure Service Bus Data Receiver",
    serviceBusDataSender: "Azure Service Bus Data Sender",
    serviceBusDataOwner: "Azure Service Bus Data Owner",
    storageQueueDataContributor: "Storage Queue Data Contributor",
    storageQueueDataMessageSender: "Storage Queue Data Message Sender",
    storageQueueDataReader: "Storage Queue Data Reader",
    storageBlobDataContributor: "Storage Blob Data Contributor",
    acrPull: "AcrPull",
};

export interface WorkloadGrant {
    /** Who holds it: an identity's Azure name, or what stands in for one. */
    readonly to: string;
    readonly role: string;
    /** What it is scoped to, in words with names. */
    readonly on: string;
}

export interface WorkloadSummary {
    readonly workload: string;
    readonly runsOn: PullPlatform;
    readonly entity: { readonly broker: "serviceBus" | "storageQueue"; readonly in: string; readonly what: string; readonly deadLetter: string };
    readonly image: { readonly runs: string; readonly ref: string; readonly pull: string };
    readonly grants: readonly WorkloadGrant[];
    /** What a pod without identity holds instead (virtual nodes, local): credentials by reference from a Secret. */
    readonly credential?: string;
}

type Workload = StackConfig["workloads"][number];

function scopeWords(scope: EntityScope, w: Workload, results: string): string {
    const e = workloadEntity(w);
    switch (scope) {
        case "queue":
            return `queue "${isQueue(e) ? e.queue : ""}"`;
        case "poisonQueue":
            return `queue "${isQueue(e) ? poisonQueueName(e.queue) : ""}"`;
        case "topic":
            return `topic "${"topic" in e ? e.topic : ""}"`;
        case "subscription":
            return describeEntity(e);
        case "resultsContainer":
            return `results container "${results}"`;
    }
}

function platformOf(cfg: Pick<StackConfig, "cluster">, w: Workload): PullPlatform {
    if (cfg.cluster.local) return "local";
    if (onContainerApps(w)) return "containerApps";
    return readsVirtualNodeBroker(w) ? "virtualNodes" : "aks";
}

/** `brokers`: the resolved names of the stack's namespace/account and of the virtual-node one ("" when there is none). */
/** What `npm run plan` says a workload runs, per runtime (plan/workloadImage.ts WorkloadRuntime). */
const RUNS: Record<ReturnType<typeof workloadRuntime>["kind"], string> = {
    worker: "the kedascale worker",
    image: "its own image",
    http: "its own image as an HTTP handler beside the kedascale worker (handler.http)",
    exec: "the kedascale worker inside its own image, running handler.exec per message",
};

export function workloadSummaries(cfg: Readonly<StackConfig>, brokers: { stack: string; virtualNodes: string }, base: string): WorkloadSummary[] {
    const results = cfg.messaging.results.containerName;
    return cfg.workloads.map((w) => {
        const kind = cfg.cluster.local ? "storageQueue" : workloadBrokerKind(cfg.messaging, w);
        const e = workloadEntity(w);
        const platform = platformOf(cfg, w);
        const grantsFor = (to: string, intents: MessagingIntent[]): WorkloadGrant[] =>
            intents.flatMap((intent) => intentRoles(kind, e, intent).map(({ role, scope }) => ({ to, role: ROLE_DISPLAY[role], on: scopeWords(scope, w, results) })));
        const source = imageSource(w);
        const access = pullAccess(source, platform);
        const registry = access.kind === "kubeletAcrPull" || access.kind === "jobIdentity" ? (access.registry === "stack" ? "the stack's registry" : access.registry) : "";
        const pull =
            access.kind === "kubeletAcrPull"
                ? `kubelet identity: AcrPull on ${registry}`
                : access.kind === "jobIdentity"
                  ? `job's worker identity: AcrPull on ${registry} (registries[].identity)`
                  : access.kind === "pullToken"
                    ? `ACR token scoped to repository "${access.repository}" (content/read, metadata/read), as imagePullSecret ${w.name}-aci-pull`
                    : access.kind === "none"
                      ? `nothing: ${access.why}`
                      : `refused: ${access.why}`;
        const ref =
            source.from === "stackRegistry"
                ? `<stack registry>/${source.repository}@sha256:… (built from ${source.build ? source.build.context : "consumer/"})`
                : "ref" in source
                  ? source.ref
                  : "";
        const grants: WorkloadGrant[] = [];
        let credential: string | undefined;
        if (platform === "aks") {
            grants.push(...grantsFor(workloadIdentityName(base, w.name), ["receive", "writeResults"]));
            grants.push(...grantsFor(kedaIdentityName(base), ["readQueueMetrics"]));
            if (w.loadTest) grants.push(...grantsFor(loadIdentityName(base, w.name), ["send", "writeResults"]));
        } else if (platform === "virtualNodes") {
            grants.push(...grantsFor(kedaIdentityName(base), ["readQueueMetrics"]));
            if (w.loadTest) grants.push(...grantsFor(loadIdentityName(base, w.name), ["send", "writeResults"]));
            credential =
                kind === "serviceBus"
                    ? `Secret ${w.name}-aci-credential: Listen-only rule on ${describeEntity(e)}; results container SAS "${SAS_PERMISSIONS.resultsContainer}"`
                    : `Secret ${w.name}-aci-credential: SAS "${SAS_PERMISSIONS.queue}" on ${describeEntity(e)}, "${SAS_PERMISSIONS.poisonQueue}" on its -poison queue; results container SAS "${SAS_PERMISSIONS.resultsContainer}"`;
        } else if (platform === "containerApps") {
            grants.push(...grantsFor(acaWorkerIdentityName(base, w.name), ["receive", "writeResults"]));
            grants.push(...grantsFor(acaScalerIdentityName(base, w.name), ["readQueueMetrics"]));
        } else {
            credential = "Secret azurite-connection: Azurite's development account (no identities in a laptop cluster)";
        }
        if (access.kind === "jobIdentity") grants.push({ to: acaWorkerIdentityName(base, w.name), role: ROLE_DISPLAY.acrPull, on: registry });
        return {
            workload: w.name,
            runsOn: platform,
            entity: { broker: kind, in: readsVirtualNodeBroker(w) && !cfg.cluster.local ? brokers.virtualNodes : brokers.stack, what: describeEntity(e), deadLetter: deadLetterPath(kind, e) },
            image: { runs: RUNS[workloadRuntime(w).kind], ref, pull },
            grants,
            ...(credential ? { credential } : {}),
        };
    });
}
