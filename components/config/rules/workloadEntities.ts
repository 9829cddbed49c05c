/**
 * Each workload's queue or topic subscription (issue 21 point 1): what each broker can hold, who may share an entity,
 * and the removed stack-wide queue keys. Entity names themselves are checked with every other derived name
 * (plan/names.ts NAME_RULES, rules/names.ts), so one name is reported once.
 */
import { onContainerApps } from "../workloadPlatform";
import type { StackConfig } from "../stack";
import { describeEntity, entityKey, readsVirtualNodeBroker, workloadBrokerKind, workloadEntity } from "../../plan/entities";
import { runsWorker, workloadRuntime } from "../../plan/workloadImage";
import { given, type RuleContext } from "./context";
import { error, key, type Problem } from "./problem";

/** The keys that name a workload's entity: `queue` or `topic` when written, else `name` (the default queue). */
export function entityKeys(w: StackConfig["workloads"][number], i: number): string[] {
    return w.topic ? [key("workloads", i, "topic")] : w.queue !== undefined ? [key("workloads", i, "queue")] : [key("workloads", i, "name")];
}

/** messaging.queueName and messaging.virtualNodes.queueName no longer exist: each workload has its own entity. */
export function removedQueueKeyRules(cfg: StackConfig, ctx: RuleContext): Problem[] {
    const problems: Problem[] = [];
    if (given(ctx, "messaging", "queueName")) {
        const names = cfg.workloads.filter((w) => !readsVirtualNodeBroker(w)).map((w) => w.name);
        problems.push(
            error(
                [key("messaging", "queueName")],
                `messaging.queueName ${JSON.stringify(cfg.messaging.queueName)} was removed: every workload now reads its own queue (workloads[].queue, default the workload's name${names.length ? `: ${names.map((n) => `"${n}"`).join(", ")}` : ""})`,
                `remove messaging.queueName and set workloads[i].queue: ${JSON.stringify(cfg.messaging.queueName)} on the workload that should read it`,
            ),
        );
    }
    if (given(ctx, "messaging", "virtualNodes", "queueName")) {
        problems.push(
            error(
                [key("messaging", "virtualNodes", "queueName")],
                `messaging.virtualNodes.queueName ${JSON.stringify(cfg.messaging.virtualNodes?.queueName)} was removed: every virtual-node workload now has its own queue in the virtual-node broker, with a credential scoped to it`,
                `remove it and set workloads[i].queue on the virtual-node workload (default: its name)`,
            ),
        );
    }
    return problems;
}

/** What each broker and platform can do with `topic`, and `queue` beside it. */
export function entityShapeRules(cfg: StackConfig): Problem[] {
    const problems: Problem[] = [];
    cfg.workloads.forEach((w, i) => {
        if (!w.topic) return;
        const k = (...p: string[]) => key("workloads", i, ...p);
        // The local stack's only broker is Azurite's Storage queues (rules/localCluster.ts refuses any other).
        const kind = cfg.cluster.local ? "storageQueue" : workloadBrokerKind(cfg.messaging, w);
        if (w.queue !== undefined) {
            problems.push(error([k("queue"), k("topic")], `workload "${w.name}" names both queue "${w.queue}" and topic "${w.topic.name}"; a workload reads one entity`, `keep queue, or keep topic`));
        }
        if (kind === "storageQueue") {
            problems.push(error([k("topic"), cfg.cluster.local ? key("cluster", "local") : readsVirtualNodeBroker(w) ? key("messaging", "virtualNodes", "broker") : key("messaging", "broker")], `topic ${JSON.stringify(w.topic)} has no effect: workload "${w.name}" reads a Storage queue, and Storage has no topics`, `remove topic (the workload reads queue "${w.queue ?? w.name}"), or use broker "serviceBus"`));
            return;
        }
        if (cfg.messaging.serviceBus.sku === "Basic") {
            problems.push(error([k("topic"), key("messaging", "serviceBus", "sku")], `Service Bus "Basic" has no topics, but workload "${w.name}" reads topic "${w.topic.name}"`, `set messaging.serviceBus.sku to "Standard" (or "Premium"), or use a queue`));
        }
        if (readsVirtualNodeBroker(w)) {
            problems.push(error([k("topic"), k("placement")], `a virtual-node pod authenticates with a Shared Access rule, and Service Bus has such rules on namespaces, queues and topics but not on subscriptions (service-bus-sas.md): a Listen rule on topic "${w.topic.name}" would open every subscription of it`, `use a queue for the virtual-node workload, or a node placement (workload identity, scoped to the subscription)`));
        }
        if (runsWorker(workloadRuntime(w))) {
            problems.push(error([k("topic"), k("image")], `the kedascale worker reads queues only (consumer/: --queue), so it cannot read subscription "${w.topic.subscription}" of topic "${w.topic.name}"`, `bring your own image that reads the subscription (image: ..., with the contract variables KEDASCALE_TOPIC and KEDASCALE_SUBSCRIPTION), or use a queue`));
        }
        if (w.loadTest && !onContainerApps(w)) {
            problems.push(error([k("loadTest"), k("topic")], `loadTest sends with the kedascale worker's \`send\`, which sends to a queue, not to topic "${w.topic.name}"`, `remove loadTest, or use a queue`));
        }
    });
    return problems;
}

/**
 * Two workloads on one entity are competing consumers: each ScaledObject/ScaledJob (or ACA scale rule) sees the whole
 * backlog and scales for all of it, so together they run up to twice the replicas it needs, and which one gets a
 * message is chance. Refused unless every workload on the entity says `shareEntity: true`; a lone `shareEntity` has
 * no effect.
 */
export function entitySharingRules(cfg: StackConfig, ctx: RuleContext): Problem[] {
    const problems: Problem[] = [];
    const groups = new Map<string, number[]>();
    cfg.workloads.forEach((w, i) => {
        const id = `${readsVirtualNodeBroker(w) ? "aci" : "stack"}\u0000${entityKey(workloadEntity(w))}`;
        groups.set(id, [...(groups.get(id) ?? []), i]);
    });
    for (const members of groups.values()) {
        const first = cfg.workloads[members[0]];
        const what = describeEntity(workloadEntity(first));
        if (members.length === 1) {
            if (given(ctx, "workloads", members[0], "shareEntity") && first.shareEntity) {
                problems.push(error([key("workloads", members[0], "shareEntity")], `shareEntity has no effect: workload "${first.name}" is the only one reading ${what}`, `remove shareEntity`));
            }
            continue;
        }
        const unwilling = members.filter((i) => !cfg.workloads[i].shareEntity);
        if (unwilling.length === 0) continue;
        const names = members.map((i) => `"${cfg.workloads[i].name}"`).join(", ");
        problems.push(
            error(
                [...members.flatMap((i) => entityKeys(cfg.workloads[i], i)), ...unwilling.map((i) => key("workloads", i, "shareEntity"))],
                `workloads ${names} all read ${what}: they would be competing consumers, and KEDA would scale each of them on the same backlog (up to ${members.length}× the replicas it needs, and which workload gets a message is chance)`,
                `give each workload its own queue (workloads[i].queue; the default is the workload's name), or set shareEntity: true on every one of them if competing consumers are what you want`,
            ),
        );
    }
    return problems;
}
