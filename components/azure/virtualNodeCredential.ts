import * as servicebus from "@pulumi/azure-native/servicebus";
import * as storage from "@pulumi/azure-native/storage";
import * as pulumi from "@pulumi/pulumi";
import { containerCanonicalResource, CREDENTIAL_KEYS, queueCanonicalResource, SAS_PERMISSIONS, sasConnectionString } from "../plan/virtualNodes";
import type { Messaging } from "./messaging";

export interface VirtualNodeCredentialArgs {
    /** Resource group of the messaging resources. */
    resourceGroupName: pulumi.Input<string>;
    /** The virtual-node Messaging (created with localAuth "virtualNodes"); its queue and results container are the scope. */
    messaging: Messaging;
    /** Expiry of every SAS, ISO 8601 (plan/virtualNodes.ts credentialWindow: deterministic per window). */
    expiry: string;
    /** Name of the Service Bus queue authorization rule. Default: aci-listen. */
    ruleName?: string;
}

/**
 * The narrowest credentials Azure offers a pod without identity (ACI, FACTS §1), for one queue and one container:
 * - Service Bus: a Listen-only authorization rule on the queue (receive, complete, abandon, renew lock, dead-letter;
 *   no send, no manage), its connection string read with listQueueKeys.
 * - Storage queue: a service SAS on the queue (r, u, p) and one on `<queue>-poison` (a), signed by ARM with the
 *   account key (listServiceSas), expiring at `expiry`.
 * - Results: a blob service SAS on the container (r, c, w).
 * Nothing here is a role assignment: KEDA keeps its workload identity and RBAC on this queue (Messaging.grant).
 * Every value is a Pulumi secret; the SAS list calls take the accounts' *outputs*, so they run only once the accounts exist.
 */
export class VirtualNodeCredential extends pulumi.ComponentResource {
    /** Service Bus only. */
    public readonly listenRule?: servicebus.QueueAuthorizationRule;
    /** Secret key → value for the workload Secret (plan/virtualNodes.ts CREDENTIAL_KEYS); a Pulumi secret. */
    public readonly values: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: VirtualNodeCredentialArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:azure:VirtualNodeCredential", name, {}, opts);
        const m = args.messaging;
        if (!m.localAuth) throw new Error(`VirtualNodeCredential ${name}: the Messaging must be created with localAuth "virtualNodes" (its namespace/accounts refuse keys otherwise)`);
        const rg = args.resourceGroupName;
        const sas = (accountName: pulumi.Input<string>, canonicalizedResource: pulumi.Input<string>, permissions: string, resource?: "c") =>
            storage.listStorageAccountServiceSASOutput(
                { resourceGroupName: rg, accountName, canonicalizedResource, permissions, sharedAccessExpiryTime: args.expiry, protocols: "https", ...(resource ? { resource } : {}) },
                { parent: this },
            ).serviceSasToken;

        const results = m.resultsAccount.name;
        const resultsSas = sas(results, pulumi.all([results, m.resultsContainer.name]).apply(([a, c]) => containerCanonicalResource(a, c)), SAS_PERMISSIONS.resultsContainer, "c");
        const resultsConnection = pulumi.all([m.resultsBlobEndpoint, resultsSas]).apply(([endpoint, token]) => sasConnectionString("blob", endpoint, token));

        let values: pulumi.Output<Record<string, string>>;
        if (m.serviceBusNamespace) {
            const ns = m.serviceBusNamespace;
            const queue = m.queue as servicebus.Queue;
            this.listenRule = new servicebus.QueueAuthorizationRule(
                `${name}-listen`,
                { resourceGroupName: rg, namespaceName: ns.name, queueName: queue.name, authorizationRuleName: args.ruleName ?? "aci-listen", rights: ["Listen"] },
                { parent: this },
            );
            const keys = servicebus.listQueueKeysOutput({ resourceGroupName: rg, namespaceName: ns.name, queueName: queue.name, authorizationRuleName: this.listenRule.name }, { parent: this });
            values = pulumi.all([keys.primaryConnectionString, resultsConnection]).apply(([connection, resultsConn]): Record<string, string> => ({
                [CREDENTIAL_KEYS.connection]: connection,
                [CREDENTIAL_KEYS.resultsConnection]: resultsConn,
            }));
        } else {
            const account = m.queueAccount!;
            const queueSas = sas(account.name, pulumi.all([account.name, m.queue.name]).apply(([a, q]) => queueCanonicalResource(a, q)), SAS_PERMISSIONS.queue);
            const poisonSas = sas(account.name, pulumi.all([account.name, m.poisonQueue!.name]).apply(([a, q]) => queueCanonicalResource(a, q)), SAS_PERMISSIONS.poisonQueue);
            values = pulumi.all([m.broker.endpoint, queueSas, poisonSas, resultsConnection]).apply(([endpoint, q, p, resultsConn]): Record<string, string> => ({
                [CREDENTIAL_KEYS.connection]: sasConnectionString("queue", endpoint, q),
                [CREDENTIAL_KEYS.poisonConnection]: sasConnectionString("queue", endpoint, p),
                [CREDENTIAL_KEYS.resultsConnection]: resultsConn,
            }));
        }
        this.values = pulumi.secret(values);
        this.registerOutputs({ listenRule: this.listenRule });
    }
}
