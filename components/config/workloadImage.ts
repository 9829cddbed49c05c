/**
 * Config shape of what a workload runs (issue 21): `image`, `command`, `args`, `env`. Only the shapes live here; the
 * reference grammar, the pull rules and the reserved names are checked by config/rules/workloadImage.ts and decided by
 * plan/workloadImage.ts.
 *
 * With a `handler` (config/handler.ts, issue 22 point 4) the kedascale worker runs as a runtime beside (http) or
 * inside (exec) the image named here; without one an `image` replaces the worker: the team's container reads its queue
 * itself, with the contract environment (docs/bring-your-own-worker.md). plan/workloadImage.ts `WorkloadRuntime` is
 * the one decision the renderers branch on.
 */
import { z } from "zod";

/** `{ build }`: built by @pulumi/docker from this repository and pushed to the stack's registry, like the worker image. */
export const imageBuildSchema = z.strictObject({
    /** Build context, relative to the project directory (where Pulumi.yaml is), e.g. examples/storage-queue-consumer. */
    context: z.string().min(1),
    /** Dockerfile, relative to the project directory. Default: `<context>/Dockerfile`. */
    dockerfile: z.string().min(1).optional(),
    /** Multi-stage build target. Default: the last stage. */
    target: z.string().min(1).optional(),
    /** Build arguments (`--build-arg NAME=value`). Default: none. */
    args: z.record(z.string(), z.string()).optional(),
});
export type ImageBuildConfig = z.infer<typeof imageBuildSchema>;

/**
 * A workload's image. Default (absent): the kedascale worker, built from consumer/ as today.
 * - a reference string, `registry/repository@sha256:…` (or `:tag`, a warning; `latest` refused): a public registry
 *   needs nothing; an Azure Container Registry must be named by its resource id (the object form), which gets the
 *   AcrPull grant; any other private registry is refused (the platform holds no credential for it).
 * - `{ ref, registryId }`: an image in another ACR, `registryId` its resource id.
 * - `{ build: { context, dockerfile?, target?, args? } }`.
 */
export const workloadImageSchema = z.union([
    z.string().min(1),
    z.strictObject({
        /** The image reference, in the ACR named by registryId. */
        ref: z.string().min(1),
        /** `/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ContainerRegistry/registries/<name>`. */
        registryId: z.string().min(1),
    }),
    z.strictObject({ build: imageBuildSchema }),
]);
export type WorkloadImageConfig = z.infer<typeof workloadImageSchema>;

/** A Service Bus topic subscription a workload reads instead of a queue (seed 004). */
export const topicSubscriptionSchema = z.strictObject({
    /** Topic name (created by the program). */
    name: z.string().min(1),
    /** Subscription name on that topic (created by the program; KEDA scales on it). */
    subscription: z.string().min(1),
});
export type TopicSubscriptionConfig = z.infer<typeof topicSubscriptionSchema>;
