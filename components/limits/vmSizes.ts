/**
 * The VM sizes people use for AKS node pools: vCPUs, memory and the local disk an ephemeral OS disk may live on.
 * Pure data plus lookups. Sources (MicrosoftDocs/azure-compute-docs, articles/virtual-machines/sizes/, read 2026-08):
 * general-purpose/ddsv5-series.md, dsv5-series.md ("No local storage", "Ephemeral OS Disk: Not Supported"),
 * dadsv5-series.md, ddsv4-series.md, dasv4-series.md, dsv3-series.md (temp + "Disk Cache Size"), bv1-series.md,
 * memory-optimized/edsv5-series.md, compute-optimized/fsv2-series.md. Series whose page says "No local storage"
 * (every v4/v5 size without "d", except the AMD Dav4/Dasv4 which keep a temp disk) have no place for an
 * ephemeral OS disk.
 *
 * Where the OS disk goes: the Compute API's DiffDiskPlacement defaults to "CacheDisk if one is configured for the
 * VM size otherwise ResourceDisk [temp] or NvmeDisk" (azure-mgmt-compute DiffDiskSettings); AKS does not expose the
 * placement, so AKS's ephemeral OS disk must fit the cache when the size has one, else the temp disk
 * (aks-docs concepts-storage.md "Ephemeral OS disk": DS2_v2 "only has 86 GiB of cache"; E2bds_v5 "only has 75 GB of
 * temporary storage"). Fsv2's current page no longer publishes its cache size, so only its temp disk is known.
 */

export type EphemeralPlacement = "cache" | "temp" | "nvme" | "none";

export interface VmSize {
    readonly name: string;
    readonly vcpus: number;
    readonly memoryGiB: number;
    /** Temp (resource) disk in GiB; 0 when the size has none. */
    readonly tempGiB: number;
    /** Host cache in GiB, where the size page publishes one. */
    readonly cacheGiB?: number;
    /** Local NVMe in GiB (v6+ sizes), where present. */
    readonly nvmeGiB?: number;
    /** B-series: burstable, refused for system pools (aks-docs use-system-pools.md). */
    readonly burstable: boolean;
    /** Source page under azure-compute-docs sizes/. */
    readonly source: string;
}

interface Series {
    /** Builds a size name from its vCPU count. */
    readonly name: (vcpus: number) => string;
    readonly sizes: readonly number[];
    readonly memoryPerVcpu: number;
    /** Temp disk GiB per vCPU (0 = none). */
    readonly tempPerVcpu: number;
    readonly cachePerVcpu?: number;
    readonly memoryOverride?: Record<number, number>;
    readonly source: string;
}

const D_SIZES = [2, 4, 8, 16, 32, 48, 64] as const;
const D_SIZES_96 = [...D_SIZES, 96] as const;

/** Each series' numbers scale linearly with vCPUs on its page (checked row by row on the pages above). */
const SERIES: readonly Series[] = [
    // v5 with a temp disk: 37.5 GiB per vCPU (D2ds_v5 75, D4ds_v5 150, ... D96ds_v5 3600).
    { name: (n) => `Standard_D${n}ds_v5`, sizes: D_SIZES_96, memoryPerVcpu: 4, tempPerVcpu: 37.5, source: "general-purpose/ddsv5-series.md" },
    { name: (n) => `Standard_D${n}d_v5`, sizes: D_SIZES_96, memoryPerVcpu: 4, tempPerVcpu: 37.5, source: "general-purpose/ddv5-series.md" },
    { name: (n) => `Standard_D${n}ads_v5`, sizes: D_SIZES_96, memoryPerVcpu: 4, tempPerVcpu: 37.5, source: "general-purpose/dadsv5-series.md" },
    {
        name: (n) => `Standard_E${n}ds_v5`,
        sizes: [2, 4, 8, 16, 20, 32, 48, 64, 96],
        memoryPerVcpu: 8,
        memoryOverride: { 96: 672 },
        tempPerVcpu: 37.5,
        source: "memory-optimized/edsv5-series.md",
    },
    // v4 with a temp disk: same 37.5 GiB per vCPU (D2ds_v4 75 ... D64ds_v4 2400).
    { name: (n) => `Standard_D${n}ds_v4`, sizes: D_SIZES, memoryPerVcpu: 4, tempPerVcpu: 37.5, source: "general-purpose/ddsv4-series.md" },
    { name: (n) => `Standard_D${n}d_v4`, sizes: D_SIZES, memoryPerVcpu: 4, tempPerVcpu: 37.5, source: "general-purpose/ddv4-series.md" },
    { name: (n) => `Standard_E${n}ds_v4`, sizes: [2, 4, 8, 16, 20, 32, 48, 64], memoryPerVcpu: 8, memoryOverride: { 64: 504 }, tempPerVcpu: 37.5, source: "memory-optimized/edsv4-series.md" },
    // AMD v4 without "d" still has a temp disk: 8 GiB per vCPU (D2as_v4 16 ... D96as_v4 768).
    { name: (n) => `Standard_D${n}as_v4`, sizes: D_SIZES_96, memoryPerVcpu: 4, tempPerVcpu: 8, source: "general-purpose/dasv4-series.md" },
    // No local storage at all: an ephemeral OS disk is impossible.
    { name: (n) => `Standard_D${n}s_v5`, sizes: D_SIZES_96, memoryPerVcpu: 4, tempPerVcpu: 0, source: "general-purpose/dsv5-series.md" },
    { name: (n) => `Standard_D${n}_v5`, sizes: D_SIZES_96, memoryPerVcpu: 4, tempPerVcpu: 0, source: "general-purpose/dv5-series.md" },
    { name: (n) => `Standard_D${n}as_v5`, sizes: D_SIZES_96, memoryPerVcpu: 4, tempPerVcpu: 0, source: "general-purpose/dasv5-series.md" },
    { name: (n) => `Standard_D${n}s_v4`, sizes: D_SIZES, memoryPerVcpu: 4, tempPerVcpu: 0, source: "general-purpose/dsv4-series.md" },
    { name: (n) => `Standard_E${n}s_v5`, sizes: [2, 4, 8, 16, 20, 32, 48, 64, 96], memoryPerVcpu: 8, memoryOverride: { 96: 672 }, tempPerVcpu: 0, source: "memory-optimized/esv5-series.md" },
    { name: (n) => `Standard_E${n}as_v5`, sizes: [2, 4, 8, 16, 20, 32, 48, 64, 96], memoryPerVcpu: 8, memoryOverride: { 96: 672 }, tempPerVcpu: 0, source: "memory-optimized/easv5-series.md" },
    // Previous generation with a host cache (Dsv3: temp 8 GiB, cache 25 GiB per vCPU: D2s_v3 16/50 ... D64s_v3 512/1600).
    { name: (n) => `Standard_D${n}s_v3`, sizes: D_SIZES, memoryPerVcpu: 4, tempPerVcpu: 8, cachePerVcpu: 25, source: "general-purpose/dsv3-series.md" },
    // Fsv2: 2 GiB memory and 8 GiB temp per vCPU (F2s_v2 4/16 ... F72s_v2 144/576).
    { name: (n) => `Standard_F${n}s_v2`, sizes: [2, 4, 8, 16, 32, 48, 64, 72], memoryPerVcpu: 2, tempPerVcpu: 8, source: "compute-optimized/fsv2-series.md" },
];

/** B-series (bv1-series.md): burstable; temp disk per size; "Ephemeral OS Disk: Supported", no Premium caching. */
const B_SERIES: readonly [string, number, number, number][] = [
    ["Standard_B1ls2", 1, 0.5, 4],
    ["Standard_B1s", 1, 1, 4],
    ["Standard_B1ms", 1, 2, 4],
    ["Standard_B2s", 2, 4, 8],
    ["Standard_B2ms", 2, 8, 16],
    ["Standard_B4ms", 4, 16, 32],
    ["Standard_B8ms", 8, 32, 64],
    ["Standard_B12ms", 12, 48, 96],
    ["Standard_B16ms", 16, 64, 128],
    ["Standard_B20ms", 20, 80, 160],
];

function buildTable(): ReadonlyMap<string, VmSize> {
    const table = new Map<string, VmSize>();
    for (const s of SERIES) {
        for (const n of s.sizes) {
            const name = s.name(n);
            table.set(name.toLowerCase(), {
                name,
                vcpus: n,
                memoryGiB: s.memoryOverride?.[n] ?? n * s.memoryPerVcpu,
                tempGiB: n * s.tempPerVcpu,
                ...(s.cachePerVcpu ? { cacheGiB: n * s.cachePerVcpu } : {}),
                burstable: false,
                source: s.source,
            });
        }
    }
    for (const [name, vcpus, memoryGiB, tempGiB] of B_SERIES) {
        table.set(name.toLowerCase(), { name, vcpus, memoryGiB, tempGiB, burstable: true, source: "general-purpose/bv1-series.md" });
    }
    return table;
}

export const VM_SIZES: ReadonlyMap<string, VmSize> = buildTable();

/** Looks a size up case-insensitively (ARM treats VM size names so); undefined when it is not in the table. */
export function lookupVmSize(name: string): VmSize | undefined {
    return VM_SIZES.get(name.toLowerCase());
}

/** Where AKS would put an ephemeral OS disk on this size, and how big that place is. */
export function ephemeralPlacement(size: VmSize): { placement: EphemeralPlacement; maxGiB: number } {
    if (size.cacheGiB) return { placement: "cache", maxGiB: size.cacheGiB };
    if (size.tempGiB > 0) return { placement: "temp", maxGiB: size.tempGiB };
    if (size.nvmeGiB) return { placement: "nvme", maxGiB: size.nvmeGiB };
    return { placement: "none", maxGiB: 0 };
}

/** AKS node images need at least 30 GiB (aks-docs cluster-configuration.md: "The minimum size for AKS images is 30GB"). */
export const MIN_OS_DISK_GB = 30;
/** Ephemeral OS disks are capped at 2,040 GiB whatever the local disk (virtual-machines/ephemeral-os-disks.md). */
export const MAX_EPHEMERAL_OS_DISK_GB = 2040;

/**
 * AKS's default OS disk size when none is given, by vCPU count (aks-docs concepts-storage.md "Default OS disk
 * sizing": 1–7 vCPUs 128 GiB, 8–15 256, 16–63 512, 64+ 1024; it "applies to both managed and ephemeral OS disks").
 */
export function aksDefaultOsDiskGB(vcpus: number): number {
    if (vcpus >= 64) return 1024;
    if (vcpus >= 16) return 512;
    if (vcpus >= 8) return 256;
    return 128;
}

/** The largest ephemeral OS disk a size can hold, in whole GiB (0 = none). */
export function largestEphemeralOsDiskGB(size: VmSize): number {
    return Math.min(Math.floor(ephemeralPlacement(size).maxGiB), MAX_EPHEMERAL_OS_DISK_GB);
}
