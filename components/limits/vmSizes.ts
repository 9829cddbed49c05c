/**
 * The VM sizes people use for AKS node pools: vCPUs, memory and the local disks an ephemeral OS disk may live on.
 * Pure data plus lookups. Sources (MicrosoftDocs/azure-compute-docs, articles/virtual-machines/sizes/, read 2026-12):
 * general-purpose/ddsv5-series.md, dsv5-series.md ("No local storage", "Ephemeral OS Disk: Not Supported"),
 * dadsv5-series.md, ddsv4-series.md, ddv4-series.md, dasv4-series.md, dsv3-series.md ("Disk Cache Size"),
 * ddsv6-series.md (local NVMe), bv1-series.md, memory-optimized/edsv4-series.md, edsv5-series.md,
 * compute-optimized/fsv2-series.md. Series whose page says "No local storage" (every v4/v5 size without "d", except
 * the AMD Dasv4 which keeps a temp disk) have no place for an ephemeral OS disk.
 *
 * Cache sizes: the current size pages of previous generations list only the temp disk; their host cache is the
 * number in parentheses of the archived tables' "Max cached and temp storage throughput: IOPS/MBps (cache size in
 * GiB)" column (virtual-machines/ddv4-ddsv4-series.md, edv4-edsv4-series.md, dav4-dasv4-series.md, fsv2-series.md,
 * as archived in azure-docs): Ddsv4, Edsv4, Dasv4 and Dsv3 25 GiB per vCPU (D4ds_v4 100, D2ds_v4 50, E20ds_v4 500,
 * D96as_v4 2,400), Fsv2 16 GiB per vCPU (F72s_v2 1,520). Ddv4 (no Premium Storage caching) publishes no cache: it
 * places on its temp disk.
 *
 * Where the OS disk goes: the Compute API's DiffDiskPlacement defaults to "CacheDisk if one is configured for the
 * VM size otherwise ResourceDisk [temp] or NvmeDisk" (azure-mgmt-compute DiffDiskSettings); AKS does not expose the
 * placement: "Previous generation VMs and retired sizes have dedicated cache space in addition to temp disk space.
 * However, the cache disk space is used when evaluating ephemeral placement instead of temporary storage"; "The
 * latest generation of VM series doesn't have a dedicated cache, only temporary storage" (aks-docs
 * concepts-storage.md "Ephemeral OS disks in AKS", E2bds_v5 "only has 75 GiB of temporary storage"). On v6 sizes the
 * local disks are NVMe and AKS puts the OS on one of them, leaving the others to workloads (aks-docs
 * best-practices-storage-nvme.md "Ephemeral NVMe data disks with ephemeral OS disks"): the limit is one disk's size.
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
    /** One local NVMe disk in GiB (v6+ sizes), where present: AKS puts an ephemeral OS disk on one disk. */
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
    /** Sizes whose cache is not cachePerVcpu × vCPUs (F72s_v2: 1,520, not 1,152). */
    readonly cacheOverride?: Record<number, number>;
    /** Size of one local NVMe disk by vCPUs (v6+: the ephemeral OS disk takes one of them). */
    readonly nvmePerDisk?: Record<number, number>;
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
    // v4 with a temp disk (37.5 GiB per vCPU: D2ds_v4 75 ... D64ds_v4 2400) and, for the Premium-Storage ones, a host
    // cache of 25 GiB per vCPU that AKS places the ephemeral OS disk in (D2ds_v4 50, D4ds_v4 100 ... D64ds_v4 1600).
    { name: (n) => `Standard_D${n}ds_v4`, sizes: D_SIZES, memoryPerVcpu: 4, tempPerVcpu: 37.5, cachePerVcpu: 25, source: "general-purpose/ddsv4-series.md" },
    // Ddv4: no Premium Storage caching, no cache column in its table: the temp disk holds the OS disk.
    { name: (n) => `Standard_D${n}d_v4`, sizes: D_SIZES, memoryPerVcpu: 4, tempPerVcpu: 37.5, source: "general-purpose/ddv4-series.md" },
    { name: (n) => `Standard_E${n}ds_v4`, sizes: [2, 4, 8, 16, 20, 32, 48, 64], memoryPerVcpu: 8, memoryOverride: { 64: 504 }, tempPerVcpu: 37.5, cachePerVcpu: 25, source: "memory-optimized/edsv4-series.md" },
    // AMD v4 without "d" still has a temp disk (8 GiB per vCPU: D2as_v4 16 ... D96as_v4 768) and a 25 GiB/vCPU cache.
    { name: (n) => `Standard_D${n}as_v4`, sizes: D_SIZES_96, memoryPerVcpu: 4, tempPerVcpu: 8, cachePerVcpu: 25, source: "general-purpose/dasv4-series.md" },
    // v6 with local NVMe instead of a temp disk (Ddsv6: one 110/220/440 GiB disk up to 8 vCPUs, then 2–6 disks of 440,
    // 880 or 1,760 GiB); the OS takes one disk.
    {
        name: (n) => `Standard_D${n}ds_v6`,
        sizes: [...D_SIZES_96, 128],
        memoryPerVcpu: 4,
        tempPerVcpu: 0,
        nvmePerDisk: { 2: 110, 4: 220, 8: 440, 16: 440, 32: 440, 48: 440, 64: 880, 96: 880, 128: 1760 },
        source: "general-purpose/ddsv6-series.md",
    },
    // No local storage at all: an ephemeral OS disk is impossible.
    { name: (n) => `Standard_D${n}s_v5`, sizes: D_SIZES_96, memoryPerVcpu: 4, tempPerVcpu: 0, source: "general-purpose/dsv5-series.md" },
    { name: (n) => `Standard_D${n}_v5`, sizes: D_SIZES_96, memoryPerVcpu: 4, tempPerVcpu: 0, source: "general-purpose/dv5-series.md" },
    { name: (n) => `Standard_D${n}as_v5`, sizes: D_SIZES_96, memoryPerVcpu: 4, tempPerVcpu: 0, source: "general-purpose/dasv5-series.md" },
    { name: (n) => `Standard_D${n}s_v4`, sizes: D_SIZES, memoryPerVcpu: 4, tempPerVcpu: 0, source: "general-purpose/dsv4-series.md" },
    { name: (n) => `Standard_E${n}s_v5`, sizes: [2, 4, 8, 16, 20, 32, 48, 64, 96], memoryPerVcpu: 8, memoryOverride: { 96: 672 }, tempPerVcpu: 0, source: "memory-optimized/esv5-series.md" },
    { name: (n) => `Standard_E${n}as_v5`, sizes: [2, 4, 8, 16, 20, 32, 48, 64, 96], memoryPerVcpu: 8, memoryOverride: { 96: 672 }, tempPerVcpu: 0, source: "memory-optimized/easv5-series.md" },
    // Previous generation with a host cache (Dsv3: temp 8 GiB, cache 25 GiB per vCPU: D2s_v3 16/50 ... D64s_v3 512/1600).
    { name: (n) => `Standard_D${n}s_v3`, sizes: D_SIZES, memoryPerVcpu: 4, tempPerVcpu: 8, cachePerVcpu: 25, source: "general-purpose/dsv3-series.md" },
    // Fsv2: 2 GiB memory, 8 GiB temp and 16 GiB cache per vCPU (F2s_v2 4/16/32 ... F64s_v2 128/512/1024; F72s_v2's cache is 1,520).
    { name: (n) => `Standard_F${n}s_v2`, sizes: [2, 4, 8, 16, 32, 48, 64, 72], memoryPerVcpu: 2, tempPerVcpu: 8, cachePerVcpu: 16, cacheOverride: { 72: 1520 }, source: "compute-optimized/fsv2-series.md" },
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
                ...(s.cachePerVcpu ? { cacheGiB: s.cacheOverride?.[n] ?? n * s.cachePerVcpu } : {}),
                ...(s.nvmePerDisk?.[n] ? { nvmeGiB: s.nvmePerDisk[n] } : {}),
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
 * AKS's default Managed OS disk size, by vCPU count (aks-docs concepts-storage.md "Managed OS disks": 1–7 vCPUs
 * 128 GiB, 8–15 256, 16–63 512, 64+ 1024). For Ephemeral disks AKS's own default (pools created since March 2025) is
 * the whole temp disk when it is at least 128 GiB ("Ephemeral OS disks"): kedascale always renders the size, this
 * one cut to the local disk (plan/pools.ts osDiskPlan), so what a pool gets never depends on when it was created.
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
