/**
 * VM sizes against the table (components/limits/vmSizes.ts): unknown sizes, OS disks that do not fit the local disk
 * (AKS refuses an explicit Ephemeral disk that does not fit: aks-docs concepts-storage.md), and system-pool minimums.
 */
import { allPools, maxClusterNodes, osDiskPlan } from "../../plan/pools";
import { lookupVmSize } from "../../limits/vmSizes";
import type { StackConfig } from "../stack";
import { error, key, warning, type Problem } from "./problem";

const poolKey = (i: number, field: string) => (i === 0 ? key("cluster", "systemPool", field) : key("pools", i - 1, field));
const poolLabel = (i: number, name: string) => (i === 0 ? `system pool "${name}"` : `pool "${name}"`);

/** A "d" sibling with a temp disk, when the table has one: Standard_D4s_v5 → Standard_D4ds_v5. */
function withLocalDisk(vmSize: string): string | undefined {
    const candidate = vmSize.replace(/^(Standard_[A-Z]+\d+)(a?)(s?)(_v\d)$/, "$1$2d$3$4");
    return candidate !== vmSize && lookupVmSize(candidate) ? lookupVmSize(candidate)!.name : undefined;
}

export function vmSizeRules(cfg: StackConfig): Problem[] {
    return allPools(cfg).flatMap((p, i) =>
        lookupVmSize(p.vmSize)
            ? []
            : [
                  warning(
                      [poolKey(i, "vmSize")],
                      `${p.vmSize} (${poolLabel(i, p.name)}) is not in kedascale's VM size table, so its vCPUs, memory and local disk cannot be checked (OS disk fit, pod fit, quota)`,
                      `check the spelling against \`az vm list-sizes -l ${cfg.location}\`, or add the size to components/limits/vmSizes.ts with its size page as source`,
                  ),
              ],
    );
}

export function osDiskRules(cfg: StackConfig): Problem[] {
    const problems: Problem[] = [];
    allPools(cfg).forEach((p, i) => {
        const plan = osDiskPlan(p);
        const keys = [poolKey(i, "osDiskType"), poolKey(i, "vmSize")];
        const where = plan.placement === "cache" ? "cache disk" : plan.placement === "nvme" ? "NVMe disk" : "temp disk";
        switch (plan.issue) {
            case "noLocalDisk": {
                const alt = withLocalDisk(p.vmSize);
                problems.push(
                    error(keys, `${poolLabel(i, p.name)}: osDiskType "Ephemeral" on ${p.vmSize}, which has no local disk (no cache, temp or NVMe) to hold it; AKS refuses the pool`, `use a size with local storage${alt ? ` (e.g. ${alt})` : ` ("d" in its name)`}, or set osDiskType "Managed"`),
                );
                break;
            }
            case "localDiskTooSmall":
                problems.push(error(keys, `${poolLabel(i, p.name)}: ${p.vmSize}'s ${where} is ${plan.largestEphemeralGB} GiB, below the 30 GiB an AKS node image needs, so an Ephemeral OS disk cannot fit`, `set osDiskType "Managed", or use a size with a larger local disk`));
                break;
            case "sizeTooLarge":
                problems.push(
                    error(
                        [poolKey(i, "osDiskSizeGB"), ...keys],
                        `${poolLabel(i, p.name)}: an Ephemeral OS disk of ${plan.osDiskSizeGB} GB does not fit ${p.vmSize}'s ${plan.largestEphemeralGB} GiB ${where}; AKS refuses it`,
                        `set osDiskSizeGB to ${plan.largestEphemeralGB} or less (or remove it: the default is the largest that fits), use a larger size, or set osDiskType "Managed"`,
                    ),
                );
                break;
            case "fellBackToManaged": {
                const alt = withLocalDisk(p.vmSize);
                const why = plan.largestEphemeralGB ? `a ${plan.osDiskSizeGB ?? "default"} GB OS disk does not fit its ${plan.largestEphemeralGB} GiB ${where}` : `it has no local disk`;
                problems.push(
                    warning(keys, `${poolLabel(i, p.name)}: ${p.vmSize} gets a Managed OS disk because ${why} (AKS's own fallback when osDiskType is not set): slower node start and a disk to pay for`, `set osDiskType "Managed" to say so, or use a size with local storage${alt ? ` (e.g. ${alt})` : ""} for an Ephemeral disk`),
                );
                break;
            }
        }
    });
    return problems;
}

/**
 * Past this many nodes a cluster is "large" for AKS's guidance ("a cluster with 100 nodes and thousands of pods or CRDs
 * might be considered large": aks-docs best-practices-performance-scale-large.md).
 */
export const LARGE_CLUSTER_NODES = 100;
/**
 * System nodes AKS asks for at scale: "For system node pools, use the Standard_D16ds_v5 SKU or an equivalent
 * core/memory VM SKU with ephemeral OS disks" (best-practices-performance-scale-large.md, "Node scaling"): 16 vCPUs and
 * 64 GiB. kube-system (CoreDNS, konnectivity, metrics-server, CSI and CNI controllers) and KEDA's operator grow with
 * the nodes and pods they serve.
 */
export const LARGE_CLUSTER_SYSTEM_NODE = { name: "Standard_D16ds_v5", vcpus: 16, memoryGiB: 64 } as const;

/** System pools: ≥ 4 vCPUs and 4 GB of memory, no B-series (aks-docs use-system-pools.md); D16ds_v5-class at scale. */
export function systemPoolSizeRules(cfg: StackConfig): Problem[] {
    const system = cfg.cluster.systemPool;
    const size = lookupVmSize(system.vmSize);
    if (!size) return [];
    const reach = maxClusterNodes(cfg);
    const large: Problem[] = [];
    if (reach > LARGE_CLUSTER_NODES) {
        const short = [
            ...(size.vcpus < LARGE_CLUSTER_SYSTEM_NODE.vcpus ? [`${size.vcpus} vCPUs`] : []),
            ...(size.memoryGiB < LARGE_CLUSTER_SYSTEM_NODE.memoryGiB ? [`${size.memoryGiB} GiB`] : []),
            ...(osDiskPlan(system).osDiskType === "Managed" ? ["a Managed OS disk"] : []),
        ];
        if (short.length > 0) {
            large.push(
                warning(
                    [key("cluster", "systemPool", "vmSize"), key("pools")],
                    `the pools can reach ${reach} nodes, but the system pool runs on ${system.vmSize} (${short.join(", ")}); for clusters past ${LARGE_CLUSTER_NODES} nodes AKS recommends ${LARGE_CLUSTER_SYSTEM_NODE.name}-class system nodes (${LARGE_CLUSTER_SYSTEM_NODE.vcpus} vCPUs, ${LARGE_CLUSTER_SYSTEM_NODE.memoryGiB} GiB) with ephemeral OS disks, or kube-system and KEDA starve as the cluster grows`,
                    `set cluster.systemPool.vmSize to "${LARGE_CLUSTER_SYSTEM_NODE.name}" (or a size with at least ${LARGE_CLUSTER_SYSTEM_NODE.vcpus} vCPUs and ${LARGE_CLUSTER_SYSTEM_NODE.memoryGiB} GiB and a local disk)`,
                ),
            );
        }
    }
    const reasons: string[] = [];
    if (size.vcpus < 4) reasons.push(`${size.vcpus} vCPUs`);
    if (size.memoryGiB < 4) reasons.push(`${size.memoryGiB} GiB of memory`);
    if (size.burstable) reasons.push("B-series (burstable)");
    if (reasons.length === 0) return large;
    return [
        ...large,
        error(
            [key("cluster", "systemPool", "vmSize")],
            `${system.vmSize} cannot host a system pool: AKS needs at least 4 vCPUs and 4 GB, and no B-series (it has ${reasons.join(", ")})`,
            `use a size such as "Standard_D4ds_v5"`,
        ),
    ];
}
