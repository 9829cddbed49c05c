/**
 * Stack config → args of virtual-node (ACI) workloads (issue 12): their broker, credentials and image pull token.
 */
import type { MessagingArgs } from "../azure/messaging";
import { onContainerApps} from "../config/containerApps";
import type { Messaging } from "../azure/messaging";
import type { Registry } from "../azure/registry";
import type { RegistryPullTokenArgs } from "../azure/registryPullToken";
import type { VirtualNodeCredentialArgs } from "../azure/virtualNodeCredential";
import { onVirtualNodes } from "../config/virtualNodes";
import { credentialWindow, virtualNodeNames, type CredentialWindow } from "../plan/virtualNodes";
import { brokerEntities, workloadEntity } from "../plan/entities";
import { imageSource } from "../plan/workloadImage";
import type { StackContext } from "./core";

// Virtual nodes (issue 12): workloads with placement virtualNodes / spotThenVirtualNodes

/** Repository of the worker image (WorkerImage's default). */
export { WORKER_REPOSITORY } from "../plan/workloadImage";

/** The AKS workloads whose pods may run in ACI. */
export const virtualNodeWorkloads = (ctx: StackContext) => ctx.config.workloads.filter((w) => !onContainerApps(w) && onVirtualNodes(w));

/** The rotation window of every virtual-node credential, from this run's clock (deterministic within a window). */
export function virtualNodeCredentialWindow(ctx: StackContext, nowMs: number = Date.now()): CredentialWindow {
    return credentialWindow(nowMs, ctx.config.messaging.virtualNodes?.credentialValidityDays ?? 30);
}

/**
 * The virtual-node queue's own Messaging: a namespace or accounts of its own with local auth on (and the policy tag),
 * so every other namespace and account stays Entra-only. Same broker settings as the stack's unless
 * messaging.virtualNodes.broker picks the other broker.
 */
export function virtualNodeMessagingArgs(ctx: StackContext): MessagingArgs {
    const m = ctx.config.messaging;
    const vn = m.virtualNodes;
    if (!vn) throw new Error("virtualNodeMessagingArgs: kedascale:messaging.virtualNodes is not set");
    const prefix = ctx.config.namePrefix;
    const broker = vn.broker ?? m.broker;
    return {
        resourceGroupName: ctx.resourceGroupName,
        location: ctx.location,
        // Each virtual-node workload's own queue: its credential opens that queue and nothing else.
        entities: brokerEntities(virtualNodeWorkloads(ctx)),
        broker:
            broker === "serviceBus"
                ? { kind: "serviceBus", namespaceName: ctx.suffix.apply((s) => virtualNodeNames.serviceBusNamespace(prefix, ctx.stack, s)), ...m.serviceBus }
                : { kind: "storageQueue", accountName: ctx.suffix.apply((s) => virtualNodeNames.queueAccount(prefix, s)), ...m.storageQueue },
        results: { containerName: m.results.containerName, accountName: ctx.suffix.apply((s) => virtualNodeNames.resultsAccount(prefix, s)) },
        localAuth: "virtualNodes",
    };
}

/** One virtual-node workload's credential: its own queue (and the results container), nothing else. */
export function virtualNodeCredentialArgs(ctx: StackContext, w: VirtualNodeWorkload, messaging: Messaging, window: CredentialWindow): VirtualNodeCredentialArgs {
    return { resourceGroupName: ctx.resourceGroupName, messaging, entity: workloadEntity(w), expiry: window.expiry };
}

type VirtualNodeWorkload = ReturnType<typeof virtualNodeWorkloads>[number];

/**
 * One virtual-node workload's pull token, scoped to its image's repository in the stack's registry (the worker's, or
 * its `{ build }`); undefined for a public image, which ACI pulls without one (plan/workloadImage.ts pullAccess).
 */
export function registryPullTokenArgs(
    ctx: StackContext,
    w: VirtualNodeWorkload,
    registry: Pick<Registry, "registryName" | "registryId" | "loginServer">,
    window: CredentialWindow,
): RegistryPullTokenArgs | undefined {
    const source = imageSource(w);
    if (source.from !== "stackRegistry") return undefined;
    return {
        resourceGroupName: ctx.resourceGroupName,
        registryName: registry.registryName,
        registryId: registry.registryId,
        loginServer: registry.loginServer,
        repository: source.repository,
        tokenName: virtualNodeNames.pullToken(ctx.baseName, w.name),
        expiry: window.expiry,
        passwordSlot: window.passwordSlot,
    };
}
