/**
 * The contract a consumer relies on (issue 21 point 4): the environment every AKS pod and Container Apps job gets,
 * whatever image it runs, so an Azure SDK in any language finds its queue and connects without a secret. One source:
 * plan/workload.ts and plan/containerAppsJob.ts render it, docs/bring-your-own-worker.md's table is checked against
 * CONTRACT_ENV and against what the stacks render (test/contract.test.ts).
 */
import { deadLetterPath, isQueue, type BrokerKind, type Entity } from "./entities";

/** kedascale sets every name with this prefix; a workload's own `env` may not. */
export const RESERVED_ENV_PREFIX = "KEDASCALE_";
/**
 * The workload-identity variables: AKS's mutating webhook injects them into every pod labelled
 * azure.workload.identity/use=true (azure-workload-identity docs, "Mutating Admission Webhook"; FACTS §4), and the
 * Container Apps job sets AZURE_CLIENT_ID itself (plan/containerAppsJob.ts). A workload's `env` may not set them.
 */
export const WORKLOAD_IDENTITY_ENV = ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST"] as const;
export const RESERVED_ENV_NAMES = WORKLOAD_IDENTITY_ENV;

/** Where a variable is set: `identity` pods (AKS nodes, ACA) name accounts; `secret` pods (ACI, local Azurite) get connection strings. */
export type ContractAuth = "identity" | "secret";

/** One row of the contract: the variable, when it is set, what it holds. */
export interface ContractVariable {
    readonly name: string;
    readonly when: string;
    readonly meaning: string;
}

/** Every contract variable kedascale renders (docs table rows, in this order). */
export const CONTRACT_ENV: readonly ContractVariable[] = [
    { name: "KEDASCALE_BROKER", when: "always", meaning: "`serviceBus` or `storageQueue`" },
    { name: "KEDASCALE_SERVICEBUS_NAMESPACE", when: "Service Bus, identity", meaning: "namespace short name" },
    { name: "KEDASCALE_SERVICEBUS_FQDN", when: "Service Bus, identity", meaning: "`<namespace>.servicebus.windows.net`: the SDKs' fully qualified namespace" },
    { name: "KEDASCALE_STORAGE_ACCOUNT", when: "Storage, identity", meaning: "storage account of the queue (`https://<account>.queue.core.windows.net`)" },
    { name: "KEDASCALE_QUEUE", when: "a queue", meaning: "the workload's queue" },
    { name: "KEDASCALE_TOPIC", when: "a topic subscription", meaning: "the topic" },
    { name: "KEDASCALE_SUBSCRIPTION", when: "a topic subscription", meaning: "the workload's subscription of that topic" },
    { name: "KEDASCALE_DEAD_LETTER_QUEUE", when: "Service Bus", meaning: "the entity's dead-letter sub-queue path (`<queue>/$DeadLetterQueue`, `<topic>/Subscriptions/<subscription>/$DeadLetterQueue`)" },
    { name: "KEDASCALE_POISON_QUEUE", when: "Storage", meaning: "`<queue>-poison`, where the consumer parks what it gives up on (Sender on that queue)" },
    { name: "KEDASCALE_RESULTS_ACCOUNT", when: "identity", meaning: "storage account of the results container" },
    { name: "KEDASCALE_RESULTS_CONTAINER", when: "always", meaning: "results blob container (write access)" },
    { name: "KEDASCALE_LOCK_DURATION_MS", when: "always", meaning: "Service Bus: the entity's lock duration; Storage: the invisibility window the worker uses" },
    { name: "KEDASCALE_MAX_DELIVERY_COUNT", when: "always", meaning: "deliveries before a message is dead-lettered (Service Bus) or should be parked (Storage)" },
    { name: "KEDASCALE_GRACE_MS", when: "AKS pods", meaning: "after SIGTERM, how long in-flight work may run before it must be released" },
    { name: "KEDASCALE_CONNECTION_STRING", when: "secret (ACI, local)", meaning: "the queue's credential, from a Secret: a Listen-only rule (Service Bus) or a queue SAS (Storage), or Azurite's" },
    { name: "KEDASCALE_POISON_CONNECTION_STRING", when: "secret, Storage on ACI", meaning: "add-only SAS of `<queue>-poison`" },
    { name: "KEDASCALE_RESULTS_CONNECTION_STRING", when: "secret (ACI, local)", meaning: "the results container's credential (SAS, or Azurite's)" },
    { name: "AZURE_CLIENT_ID", when: "AKS nodes (webhook), ACA (rendered)", meaning: "client id of the workload's own managed identity" },
    { name: "AZURE_TENANT_ID", when: "AKS nodes (webhook)", meaning: "Entra tenant" },
    { name: "AZURE_FEDERATED_TOKEN_FILE", when: "AKS nodes (webhook)", meaning: "projected service-account token `WorkloadIdentityCredential` exchanges" },
    { name: "AZURE_AUTHORITY_HOST", when: "AKS nodes (webhook)", meaning: "Entra authority" },
];

/** What the contract needs to know of a workload's entity and results. */
export interface ContractInputs {
    readonly broker: { readonly kind: BrokerKind; readonly entity: Entity; readonly resourceName: string; readonly lockDurationMs: number; readonly maxDeliveryCount: number };
    readonly results: { readonly account: string; readonly container: string };
}

/**
 * The literal contract variables (credentials by reference are added by the caller: credentialEnv,
 * azuriteCredentialEnv). With `secret` auth the names that select identity auth are left out, not ignored: the
 * worker picks identity auth when it sees an account name.
 */
export function contractEnv(inputs: ContractInputs, auth: ContractAuth): { name: string; value: string }[] {
    const b = inputs.broker;
    const e = b.entity;
    const identityNames =
        auth === "secret"
            ? []
            : b.kind === "serviceBus"
              ? [
                    { name: "KEDASCALE_SERVICEBUS_NAMESPACE", value: b.resourceName },
                    { name: "KEDASCALE_SERVICEBUS_FQDN", value: `${b.resourceName}.servicebus.windows.net` },
                ]
              : [{ name: "KEDASCALE_STORAGE_ACCOUNT", value: b.resourceName }];
    return [
        { name: "KEDASCALE_BROKER", value: b.kind },
        ...identityNames,
        ...(isQueue(e)
            ? [{ name: "KEDASCALE_QUEUE", value: e.queue }]
            : [
                  { name: "KEDASCALE_TOPIC", value: e.topic },
                  { name: "KEDASCALE_SUBSCRIPTION", value: e.subscription },
              ]),
        { name: b.kind === "serviceBus" ? "KEDASCALE_DEAD_LETTER_QUEUE" : "KEDASCALE_POISON_QUEUE", value: deadLetterPath(b.kind, e) },
        ...(auth === "identity" ? [{ name: "KEDASCALE_RESULTS_ACCOUNT", value: inputs.results.account }] : []),
        { name: "KEDASCALE_RESULTS_CONTAINER", value: inputs.results.container },
        { name: "KEDASCALE_LOCK_DURATION_MS", value: String(b.lockDurationMs) },
        { name: "KEDASCALE_MAX_DELIVERY_COUNT", value: String(b.maxDeliveryCount) },
    ];
}
