/**
 * What a workload with a `handler` (issue 22 point 4) runs, pure: the worker's flags for its runtime, and what the
 * whole pod requests. The worker's CLI contract (flags, exit codes) is docs/worker-runtime.md; the renderer is
 * plan/workload.ts, the refusals config/rules/handler.ts.
 */
import { cpuMillis, memoryMiB } from "../config/quantity";
import { workloadRuntime, type ContainerResources, type ImageFields, type WorkloadRuntime } from "./workloadImage";

/** The build argument an exec handler's Dockerfile takes the worker image from (`ARG WORKER_IMAGE` / `FROM ${WORKER_IMAGE}`). */
export const WORKER_IMAGE_BUILD_ARG = "WORKER_IMAGE";

/** The kedascale worker's `--health-port` in a Deployment's pod (its /livez and /healthz; 0 = off in Jobs). */
export const WORKER_HEALTH_PORT = 8080;

// NATIVE_SIDECAR_MINOR lives in limits/platform.ts: plan/existingCluster.ts needs it inside a dynamic provider's
// serialized closure, which must not capture this module's zod-backed imports.
export { NATIVE_SIDECAR_MINOR } from "../limits/platform";

/** The worker's flags for a handler runtime, after its own (`--` and the exec command last: the CLI stops there). */
export function handlerFlags(r: WorkloadRuntime): string[] {
    switch (r.kind) {
        case "http":
            return ["--handler", "http", "--handler-port", String(r.port), "--handler-path", r.path, "--handler-health-path", r.healthPath];
        case "exec":
            return ["--handler", "exec", "--", ...r.command];
        default:
            return [];
    }
}

/**
 * What one pod requests: the worker's (or the team's) container, plus an http handler's container. A native sidecar
 * counts like a regular container: Kubernetes sums restartable init containers' requests with the main containers'
 * for scheduling (KEP-753 "Resources calculation for scheduling and pod admission"), and so does KEDA's arithmetic
 * here, which only multiplies pods.
 */
export function podRequests(w: ImageFields & { readonly resources: ContainerResources }): { cpuMillis: number | undefined; memoryMiB: number | undefined } {
    const r = workloadRuntime(w);
    const parts = [w.resources, ...(r.kind === "http" && r.resources ? [r.resources] : [])];
    const sum = (values: (number | undefined)[]) => (values.some((v) => v === undefined) ? undefined : values.reduce<number>((a, v) => a + v!, 0));
    return { cpuMillis: sum(parts.map((p) => cpuMillis(p.requests.cpu))), memoryMiB: sum(parts.map((p) => memoryMiB(p.requests.memory))) };
}

/** podRequests as Kubernetes quantities (`350m`, `224Mi`), for models that take a workload's requests as strings. */
export function podRequestQuantities(w: ImageFields & { readonly resources: ContainerResources }): { cpu: string; memory: string } {
    const r = workloadRuntime(w);
    if (r.kind !== "http" || !r.resources) return w.resources.requests;
    const { cpuMillis: cpu, memoryMiB: mem } = podRequests(w);
    return cpu === undefined || mem === undefined ? w.resources.requests : { cpu: `${cpu}m`, memory: `${Math.ceil(mem)}Mi` };
}
