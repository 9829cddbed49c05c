/**
 * Virtual-node (ACI) rules: what the placement needs (the add-on, the opt-in to local auth) and what ACI cannot run
 * (sources in limits/aci.ts). Three rules, each reading as few sections as it can (load.ts skips a rule whose
 * section did not parse).
 */
import { onContainerApps } from "../containerApps";
import { cpuMillis, memoryMiB } from "../quantity";
import type { StackConfig } from "../stack";
import { onVirtualNodes } from "../virtualNodes";
import { ACI_DEFAULT_QUOTA, ACI_MAX_GROUP, ACI_RELIABLE_GROUP } from "../../limits/aci";
import { aciResources } from "../../plan/virtualNodes";
import { given, type RuleContext } from "./context";
import { error, key, warning, type Problem } from "./problem";

const onAci = (w: StackConfig["workloads"][number]) => !onContainerApps(w) && onVirtualNodes(w);

/** The trade-off the opt-in accepts, spelled out where it is asked for. */
const LOCAL_AUTH_TRADE_OFF =
    "ACI pods get no managed or workload identity (FACTS §1), so they must authenticate with a key-based credential: " +
    "kedascale then creates a Service Bus namespace with local (SAS) auth on, or storage accounts with shared-key access on, " +
    "holding only the virtual-node queue and results, and gives the pods a credential scoped to that one queue and container " +
    "(Listen-only rule, or SAS that expires and is re-issued by `pulumi up`) in a Kubernetes Secret; anyone who can read " +
    "that Secret can receive from that queue until the rule is rotated or the SAS expires. Every other namespace and account stays Entra-only";

/** The placement's prerequisites: the add-on on a cluster kedascale creates, the opt-in, a Spot pool to prefer. */
export function virtualNodePlacementRules(cfg: StackConfig): Problem[] {
    const problems: Problem[] = [];
    const vn = cfg.messaging.virtualNodes;
    cfg.workloads.forEach((w, i) => {
        if (!onAci(w)) return;
        const placement = key("workloads", i, "placement");
        if (cfg.cluster.existing) {
            problems.push(error([placement, key("cluster", "existing")], `placement "${w.placement}" needs the virtual-node add-on, its delegated subnet and the connector's Network Contributor grant, which kedascale sets up only on a cluster it creates`, `use placement "spot", "any" or "system" on an existing cluster, or let kedascale create the cluster with cluster.virtualNodes: true`));
        } else if (!cfg.cluster.virtualNodes) {
            problems.push(error([placement, key("cluster", "virtualNodes")], `placement "${w.placement}" but cluster.virtualNodes is false: there is no virtual node to schedule on, pods would stay Pending`, `set cluster.virtualNodes to true (with network.plugin "azureNodeSubnet"), or choose another placement`));
        }
        if (!vn?.acceptLocalAuth) {
            problems.push(error([placement, key("messaging", "virtualNodes", "acceptLocalAuth")], `placement "${w.placement}" needs a key-based credential, which you have not accepted. ${LOCAL_AUTH_TRADE_OFF}`, `set messaging.virtualNodes.acceptLocalAuth to true to accept this, or choose a placement that keeps workload identity ("spot", "any", "system")`));
        }
        if (w.placement === "spotThenVirtualNodes" && !cfg.cluster.existing && !cfg.pools.some((p) => p.priority === "Spot")) {
            problems.push(error([placement, key("pools")], `placement "spotThenVirtualNodes" prefers Spot, but no pool under kedascale:pools has priority "Spot": every pod would go to ACI`, `add a Spot pool, or use placement "virtualNodes"`));
        }
    });
    return problems;
}

/** messaging.virtualNodes: no effect without a virtual-node workload. */
export function virtualNodeMessagingRules(cfg: StackConfig, ctx: RuleContext): Problem[] {
    const vn = cfg.messaging.virtualNodes;
    if (!vn) return [];
    const problems: Problem[] = [];
    if (!cfg.workloads.some(onAci) && given(ctx, "messaging", "virtualNodes")) {
        problems.push(error([key("messaging", "virtualNodes")], `messaging.virtualNodes has no effect: no workload has placement "virtualNodes" or "spotThenVirtualNodes" (and it would turn local auth on for nothing)`, `remove messaging.virtualNodes, or place a workload on virtual nodes`));
    }
    return problems;
}

/** What ACI cannot run or would silently change, per field (limits/aci.ts), and the account-wide quota. */
export function aciPodRules(cfg: StackConfig, ctx: RuleContext): Problem[] {
    const problems: Problem[] = [];
    let groups = 0;
    let cores = 0;
    const quotaKeys: string[] = [];
    cfg.workloads.forEach((w, i) => {
        if (!onAci(w)) return;
        const k = (...p: (string | number)[]) => key("workloads", i, ...p);
        const req = { cpu: cpuMillis(w.resources.requests.cpu), mem: memoryMiB(w.resources.requests.memory) };
        const lim = { cpu: cpuMillis(w.resources.limits.cpu), mem: memoryMiB(w.resources.limits.memory) };
        if (req.cpu === undefined || req.mem === undefined) return;
        // FACTS §1: ACI refuses a container limit above the group's request (ContainerLimitGreaterThanContainerGroupTotalRequest).
        if (lim.mem !== undefined && lim.mem > req.mem) {
            problems.push(error([k("resources", "limits", "memory")], `limit ${w.resources.limits.memory} is above request ${w.resources.requests.memory}: ACI refuses a container limit above its container group's request (ContainerLimitGreaterThanContainerGroupTotalRequest), and the pod is billed and sized by its request`, `set limits.memory to ${w.resources.requests.memory} (kedascale renders limits = requests on virtual nodes)`));
        }
        if (lim.cpu !== undefined && lim.cpu > req.cpu) {
            problems.push(error([k("resources", "limits", "cpu")], `limit ${w.resources.limits.cpu} is above request ${w.resources.requests.cpu}: ACI refuses a container limit above its container group's request`, `remove limits.cpu or set it to ${w.resources.requests.cpu}`));
        }
        const aci = aciResources(w.resources.requests);
        const gb = aci.memoryBytes / 1e9;
        if (aci.cpuMillis > ACI_MAX_GROUP.cpuMillis || gb > ACI_MAX_GROUP.memoryGB) {
            problems.push(error([k("resources", "requests")], `requests cpu ${w.resources.requests.cpu} / memory ${w.resources.requests.memory} exceed ACI's largest container group (${ACI_MAX_GROUP.cpuMillis / 1000} vCPU, ${ACI_MAX_GROUP.memoryGB} GB)`, `lower the requests, or run the workload on a node pool`));
        } else if (aci.cpuMillis > ACI_RELIABLE_GROUP.cpuMillis || gb > ACI_RELIABLE_GROUP.memoryGB) {
            problems.push(warning([k("resources", "requests")], `requests above ${ACI_RELIABLE_GROUP.cpuMillis / 1000} vCPU / ${ACI_RELIABLE_GROUP.memoryGB} GB may fail to deploy in ACI for regional capacity (container-instances-resource-and-quota-limits.md)`, `keep virtual-node pods at or below ${ACI_RELIABLE_GROUP.cpuMillis / 1000} vCPU / ${ACI_RELIABLE_GROUP.memoryGB} GB, or ask for an ACI quota increase`));
        }
        if (given(ctx, "workloads", i, "terminationGracePeriodSeconds")) {
            problems.push(error([k("terminationGracePeriodSeconds"), k("placement")], `terminationGracePeriodSeconds ${w.terminationGracePeriodSeconds} would not be honoured: the virtual-node connector deletes an ACI container group at once ("till gracePeriod is supported", azure-aci deleteContainerGroup), so a stopping pod gets no time to finish or release its message (it returns after its lock or visibility timeout)`, `remove terminationGracePeriodSeconds, or use a node placement`));
        }
        if (w.kind === "deployment") {
            problems.push(warning([k("kind"), k("placement")], `a Deployment on virtual nodes loses in-flight messages to every scale-in: ACI deletes the pod without a grace period, so its messages wait out their lock or visibility timeout before another worker sees them`, `use kind "job" (a Job ends on its own, nothing deletes it mid-message), or accept the delay`));
        }
        groups += w.maxReplicaCount;
        cores += (w.maxReplicaCount * aci.cpuMillis) / 1000;
        quotaKeys.push(k("maxReplicaCount"));
    });
    if (groups > ACI_DEFAULT_QUOTA.containerGroups || cores > ACI_DEFAULT_QUOTA.cores) {
        problems.push(
            warning(
                quotaKeys,
                `at maxReplicaCount the virtual-node workloads run ${groups} container groups using ${Math.round(cores * 100) / 100} vCPU, above ACI's default regional quota of ${ACI_DEFAULT_QUOTA.containerGroups} container groups and ${ACI_DEFAULT_QUOTA.cores} standard cores (and ${ACI_DEFAULT_QUOTA.createsPer5Minutes} creates per 5 minutes); pods beyond it fail to start`,
                `request an ACI quota increase in this region before relying on it, or lower maxReplicaCount`,
            ),
        );
    }
    return problems;
}
