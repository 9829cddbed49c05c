/**
 * Config of the virtual-node (ACI) placement: which workloads burst there, and the opt-in block
 * `kedascale:messaging.virtualNodes` for the queue they read. ACI pods get no managed or workload identity (FACTS §1),
 * so these workloads authenticate with a credential the program creates and puts in a Kubernetes Secret; local (SAS /
 * shared key) auth is switched on only for a broker of their own. Cross-field rules: rules/virtualNodes.ts.
 */
import { z } from "zod";

/** Placements whose pods may run in ACI: only there, or on Spot first and in ACI when Spot is full. */
export const VIRTUAL_NODE_PLACEMENTS = ["virtualNodes", "spotThenVirtualNodes"] as const;
export type VirtualNodePlacement = (typeof VIRTUAL_NODE_PLACEMENTS)[number];

/** True when a workload's pods may land on a virtual node (and so need the Secret credential and the pull secret). */
export const onVirtualNodes = (w: { readonly placement: string }): boolean => (VIRTUAL_NODE_PLACEMENTS as readonly string[]).includes(w.placement);

export const virtualNodeMessagingSchema = z.strictObject({
    /**
     * The explicit opt-in. ACI pods cannot use workload identity, so their broker must accept a key-based credential:
     * a Service Bus namespace with local (SAS) auth on, or a storage account with shared-key access on (a queue SAS is
     * signed with the account key). It is a separate namespace/account holding only the virtual-node queue, and
     * the credential is scoped to that one queue. Default false: a virtual-node workload is refused until you set it.
     */
    acceptLocalAuth: z.boolean().default(false),
    /** Broker of the virtual-node queue. Default: the stack's messaging.broker. */
    broker: z.enum(["serviceBus", "storageQueue"]).optional(),
    /**
     * Removed (issue 21): each virtual-node workload has its own queue in this broker (`workloads[].queue`, default its
     * name). Kept only so preflight names the replacement (rules/workloadEntities.ts).
     */
    queueName: z.unknown().optional(),
    /**
     * Days a SAS (Storage queue, results container) and the registry token password stay valid. Each `pulumi up`
     * issues credentials expiring at the end of the next half-validity window, so they always have more than half of
     * this left and do not change between runs of one window; run `pulumi up` at least every validity/2 days.
     * 2–365. Default 30.
     */
    credentialValidityDays: z.int().min(2).max(365).default(30),
});
export type VirtualNodeMessagingConfig = z.infer<typeof virtualNodeMessagingSchema>;
