/** Kubernetes resource quantities as the schema accepts them (components/config/workloads.ts). */
import { z } from "zod";

export const cpuQuantity = z.string().regex(/^\d+(\.\d+)?m?$/, 'must be a CPU quantity such as "250m" or "1"');
export const memoryQuantity = z.string().regex(/^\d+(Ki|Mi|Gi)$/, 'must be a memory quantity such as "128Mi" or "1Gi"');
/** A container's requests and limits: a workload's `resources`, and an http handler's `handler.resources`. */
export const containerResourcesSchema = z.strictObject({
    requests: z.strictObject({ cpu: cpuQuantity, memory: memoryQuantity }),
    limits: z.strictObject({ cpu: cpuQuantity.optional(), memory: memoryQuantity }),
});

/** "250m" → 250, "1.5" → 1500; undefined for anything else. */
export function cpuMillis(q: string | undefined): number | undefined {
    if (q === undefined) return undefined;
    const n = q.endsWith("m") ? Number(q.slice(0, -1)) : Number(q) * 1000;
    return Number.isFinite(n) ? n : undefined;
}

/** "128Mi" → 128, "1Gi" → 1024, "512Ki" → 0.5; undefined for anything else. */
export function memoryMiB(q: string | undefined): number | undefined {
    if (q === undefined) return undefined;
    const unit = { Ki: 1 / 1024, Mi: 1, Gi: 1024 }[q.slice(-2)];
    const n = Number(q.slice(0, -2));
    return unit !== undefined && Number.isFinite(n) ? n * unit : undefined;
}

export const formatMiB = (mib: number): string => (mib >= 1024 ? `${(mib / 1024).toFixed(2).replace(/\.?0+$/, "")}Gi` : `${Math.floor(mib)}Mi`);
export const formatCpu = (millis: number): string => `${Math.floor(millis)}m`;
