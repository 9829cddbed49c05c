/**
 * Config shape of a workload's `handler` (issue 22 point 4): the kedascale worker as a runtime for the team's code,
 * beside the team's image (`http`) or inside it (`exec`). Only the shape lives here; config/rules/handler.ts checks
 * what the shape cannot say (one mode, ports, paths, platforms, Kubernetes version) and plan/handler.ts decides what
 * the pod runs. The worker's side of the contract is docs/worker-runtime.md.
 */
import { z } from "zod";
import { containerResourcesSchema } from "./quantity";

export const httpHandlerSchema = z.strictObject({
    /**
     * Port the team's container listens on (the worker's `--handler-port`), in the pod's shared network namespace.
     * Required: the worker's own health port is 8080 (plan/workload.ts), the handler examples' default, so a default
     * here would collide; preflight refuses 8080 and anything outside 1–65535.
     */
    port: z.int(),
    /** Where the worker POSTs each message (`--handler-path`); must start with '/'. Default: `/`. */
    path: z.string().default("/"),
    /** Answers 2xx once the handler takes messages (`--handler-health-path`, and the kubelet's startup probe). Default: `/healthz`. */
    healthPath: z.string().default("/healthz"),
});

/**
 * `handler: { http: { port, path?, healthPath? }, resources }` or `handler: { exec: [command, args…] }`. Exactly one
 * mode; `resources` (the handler container's own requests and limits) with `http` only, where it is required: the
 * pod's requests are the worker's (`resources`) plus these (capacity, KEDA and pods-per-node arithmetic count both).
 */
export const handlerSchema = z.strictObject({
    http: httpHandlerSchema.optional(),
    /** The command the worker runs once per message inside the team's image (`work --handler exec -- <command> <args…>`). */
    exec: z.array(z.string().min(1)).min(1).optional(),
    /** `http` only: the handler container's requests and limits. */
    resources: containerResourcesSchema.optional(),
});
export type HandlerConfig = z.infer<typeof handlerSchema>;
