/**
 * Real lists the preflight checks against, not regexes: Azure public-cloud regions, the Kubernetes versions AKS
 * supports, the KEDA chart versions this program is known to work with, and AKS's per-node limits.
 */

/**
 * Azure public-cloud region names (`az account list-locations --query "[?metadata.regionType=='Physical'].name"`),
 * as of 2026-08. A region opened after that date is refused until added here, on purpose: a typo ("westeruope")
 * otherwise fails only at `pulumi up`, after the resource group call.
 */
export const AZURE_REGIONS: readonly string[] = [
    "australiacentral", "australiacentral2", "australiaeast", "australiasoutheast",
    "austriaeast", "belgiumcentral",
    "brazilsouth", "brazilsoutheast",
    "canadacentral", "canadaeast",
    "centralindia", "centralus", "chilecentral",
    "eastasia", "eastus", "eastus2",
    "francecentral", "francesouth",
    "germanynorth", "germanywestcentral",
    "indonesiacentral", "israelcentral", "italynorth",
    "japaneast", "japanwest", "jioindiacentral", "jioindiawest",
    "koreacentral", "koreasouth",
    "malaysiawest", "mexicocentral",
    "newzealandnorth", "northcentralus", "northeurope", "norwayeast", "norwaywest",
    "polandcentral", "qatarcentral",
    "southafricanorth", "southafricawest", "southcentralus", "southeastasia", "southindia", "spaincentral",
    "swedencentral", "switzerlandnorth", "switzerlandwest",
    "uaecentral", "uaenorth", "uksouth", "ukwest",
    "westcentralus", "westeurope", "westindia", "westus", "westus2", "westus3",
];

/**
 * AKS Kubernetes minor versions (aks-docs supported-kubernetes-versions.md, release calendar read 2026-08, whose
 * component lists are dated 2026-08-11): 1.33 reached end of community support in Jul 2026; 1.34 (EOL Nov 2026),
 * 1.35 (Mar 2027) and 1.36 (Jun 2027) are GA; 1.37 is previewed Sep 2026. Versions out of community support live on
 * only as LTS, which needs the Premium tier and `supportPlan: AKSLongTermSupport` — this program does not set it —
 * and platform support (N-3) does not allow cluster creation.
 */
export const AKS_SUPPORTED_MINORS: readonly string[] = ["1.34", "1.35", "1.36"];
export const AKS_CALENDAR_DATE = "2026-08";
export const AKS_LTS_ONLY_MINORS: readonly string[] = ["1.29", "1.30", "1.31", "1.32", "1.33"];

/**
 * kedacore/charts versions this program is known to work with (FACTS §9). Chart 2.20.2 has no values.schema.json:
 * Helm silently ignores values keys a chart does not read, so an untested chart can drop our settings unnoticed.
 */
export const KEDA_CHART_KNOWN_GOOD: readonly string[] = ["2.20.2"];
export const KEDA_CHART_KNOWN_BAD: Readonly<Record<string, string>> = {
    "2.20.0": `its CRDs reject scalingStrategy.strategy "default" and the operator panics on "custom" without a deduction (fixed in 2.20.2, FACTS §9)`,
    "2.20.1": `its CRDs reject scalingStrategy.strategy "default" and the operator panics on "custom" without a deduction (fixed in 2.20.2, FACTS §9)`,
};
/** KEDA 2.20 is tested on Kubernetes 1.33–1.35 (FACTS §9, kedacore/keda README compatibility table). */
export const KEDA_TESTED_MINORS: Readonly<Record<string, readonly string[]>> = { "2.20": ["1.33", "1.34", "1.35"] };

/** kubenet routes pods through a route table of at most 400 routes: at most 400 nodes (aks-docs configure-kubenet.md). */
export const KUBENET_MAX_NODES = 400;

/**
 * Kube-reserved CPU in millicores by cores (aks-docs node-resource-reservations.md: 1→60, 2→100, 4→140, 8→180,
 * 16→260, 32→420, 64→740). Above 2 cores the table is 100m + 10m per core, which covers the sizes between.
 */
export function kubeReservedCpuMillis(vcpus: number): number {
    if (vcpus <= 1) return 60;
    if (vcpus === 2) return 100;
    return 100 + 10 * vcpus;
}

/**
 * Kube-reserved memory plus the eviction threshold, AKS ≥ 1.29 (node-resource-reservations.md): the lesser of
 * 20 MB × maxPods + 50 MB and 25 % of memory, plus `memory.available<100Mi`. Computed in MiB, which reserves a
 * little more than the doc's MB and so never promises memory a node lacks.
 */
export function kubeReservedMemoryMiB(memoryGiB: number, maxPods: number): number {
    const totalMiB = memoryGiB * 1024;
    return Math.min(20 * maxPods + 50, 0.25 * totalMiB) + 100;
}

/** What a pod can request on a node of this size, before DaemonSets (which take more). */
export function nodeAllocatable(size: { vcpus: number; memoryGiB: number }, maxPods: number): { cpuMillis: number; memoryMiB: number } {
    return {
        cpuMillis: size.vcpus * 1000 - kubeReservedCpuMillis(size.vcpus),
        memoryMiB: Math.floor(size.memoryGiB * 1024 - kubeReservedMemoryMiB(size.memoryGiB, maxPods)),
    };
}

/**
 * Native sidecars (an init container with `restartPolicy: Always`) are on by default from Kubernetes 1.29 (feature
 * gate SidecarContainers, beta and on in 1.29, GA in 1.33: kubernetes.io "Sidecar Containers"); an older API server
 * drops or refuses the field and the handler would run as a plain init container that never exits, so the Job's
 * worker would never start.
 */
export const NATIVE_SIDECAR_MINOR = 29;
