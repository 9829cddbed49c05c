/**
 * What a workload's container runs and how its platform pulls it (issue 21 point 2). Pure: config in, decisions out.
 * The components follow `imageSource` (what to build, which registry to grant) and `pullAccess` (per platform);
 * preflight (config/rules/workloadImage.ts) refuses what `pullAccess` calls refused.
 */
import type { ImageBuildConfig, WorkloadImageConfig } from "../config/workloadImage";
import type { HandlerConfig } from "../config/handler";
import type { z } from "zod";
import type { containerResourcesSchema } from "../config/quantity";

export type ContainerResources = z.infer<typeof containerResourcesSchema>;
import { DOCKER_HUB, isParseError, parseImageReference } from "./imageReference";

/** Repository of the kedascale worker image in the stack's registry (WorkerImage's default). */
export const WORKER_REPOSITORY = "kedascale-worker";

/**
 * Registries that serve images anonymously, so a public image there needs no credential on any platform:
 * mcr.microsoft.com (Microsoft Artifact Registry, public by design), Docker Hub, GitHub's ghcr.io, quay.io,
 * registry.k8s.io, public.ecr.aws, gcr.io. ghcr.io, quay.io and Docker Hub also host private repositories: an image
 * there must be public, which the program cannot check before the first pull (docs/bring-your-own-worker.md says so).
 */
export const PUBLIC_REGISTRIES = ["mcr.microsoft.com", DOCKER_HUB, "ghcr.io", "quay.io", "registry.k8s.io", "public.ecr.aws", "gcr.io"] as const;

/** An Azure Container Registry's login server (public cloud, China, US Government): `<name>.azurecr.io|cn|us`. */
export const ACR_LOGIN_SERVER = /^([a-z0-9]{5,50})\.azurecr\.(io|cn|us)$/;
/** An ACR's resource id (ARM: provider and type segments are case-insensitive). */
export const ACR_RESOURCE_ID = /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[-\w._()]{1,90}\/providers\/Microsoft\.ContainerRegistry\/registries\/([A-Za-z0-9]{5,50})$/i;

export type ImageSource =
    /** Built by the program and pushed to the stack's registry: the kedascale worker (no `build`) or `{ build }`. */
    | { readonly from: "stackRegistry"; readonly repository: string; readonly build?: ImageBuildConfig }
    | { readonly from: "public"; readonly ref: string; readonly domain: string; readonly repository: string }
    | { readonly from: "acr"; readonly ref: string; readonly domain: string; readonly repository: string; readonly registryId: string }
    /** Any other registry: the platform holds no credential for it (preflight refuses it). */
    | { readonly from: "private"; readonly ref: string; readonly domain: string }
    /** Not a reference at all (preflight refuses it). */
    | { readonly from: "invalid"; readonly ref: string; readonly error: string };

/**
 * The one decision renderers branch on. `worker`: the kedascale worker with kedascale's command and flags. `image`:
 * the team's image replaces it (its own command/args; the contract environment tells it where its queue is).
 * `http`: the worker (the stack's worker image) with the team's image beside it in the pod, which it POSTs each
 * message to; `exec`: the worker inside the team's image (built FROM the worker image), running `command` per
 * message (issue 22 point 4, plan/handler.ts).
 */
export type WorkloadRuntime =
    | { readonly kind: "worker" }
    | { readonly kind: "image" }
    | { readonly kind: "http"; readonly port: number; readonly path: string; readonly healthPath: string; readonly resources?: ContainerResources }
    | { readonly kind: "exec"; readonly command: readonly string[] };

export interface ImageFields {
    readonly name: string;
    readonly image?: WorkloadImageConfig;
    readonly handler?: HandlerConfig;
}

/**
 * A `handler` decides before `image` does: preflight (config/rules/handler.ts) refuses a handler without an image,
 * one with both modes or neither, and http without `handler.resources`.
 */
export function workloadRuntime(w: ImageFields): WorkloadRuntime {
    const h = w.handler;
    if (h?.http) return { kind: "http", port: h.http.port, path: h.http.path, healthPath: h.http.healthPath, ...(h.resources ? { resources: h.resources } : {}) };
    if (h?.exec) return { kind: "exec", command: h.exec };
    return w.image === undefined ? { kind: "worker" } : { kind: "image" };
}

/** Whether the kedascale worker runs in the pod (its flags, health port and queue reading then apply). */
export const runsWorker = (r: WorkloadRuntime): boolean => r.kind !== "image";

/** Repository a `{ build }` image is pushed to in the stack's registry: the workload's name (a valid OCI path component). */
export const buildRepository = (workload: string): string => workload;

export function imageSource(w: ImageFields): ImageSource {
    const image = w.image;
    if (image === undefined) return { from: "stackRegistry", repository: WORKER_REPOSITORY };
    if (typeof image === "object" && "build" in image) return { from: "stackRegistry", repository: buildRepository(w.name), build: image.build };
    const ref = typeof image === "string" ? image : image.ref;
    const parsed = parseImageReference(ref);
    if (isParseError(parsed)) return { from: "invalid", ref, error: parsed.error };
    if (typeof image === "object") return { from: "acr", ref, domain: parsed.domain, repository: parsed.repository, registryId: image.registryId };
    if ((PUBLIC_REGISTRIES as readonly string[]).includes(parsed.domain)) return { from: "public", ref, domain: parsed.domain, repository: parsed.repository };
    return { from: "private", ref, domain: parsed.domain };
}

/** Where a pod or job runs, for pulling: AKS nodes, ACI through virtual nodes, a Container Apps job, a laptop cluster. */
export type PullPlatform = "aks" | "virtualNodes" | "containerApps" | "local";

export type PullAccess =
    /** AKS: the kubelet identity's AcrPull on the stack's registry or on the ACR named by id. */
    | { readonly kind: "kubeletAcrPull"; readonly registry: "stack" | string }
    /** Virtual nodes (no identity in ACI): an ACR token scoped to this repository of the stack's registry, as an imagePullSecret. */
    | { readonly kind: "pullToken"; readonly repository: string }
    /** Container Apps: the job's worker identity, with AcrPull on that registry, in `registries[]`. */
    | { readonly kind: "jobIdentity"; readonly registry: "stack" | string }
    /** A local registry without credentials (the local stack), or a public image: nothing. */
    | { readonly kind: "none"; readonly why: string }
    | { readonly kind: "refused"; readonly why: string; readonly fix: string };

export function pullAccess(source: ImageSource, platform: PullPlatform): PullAccess {
    switch (source.from) {
        case "invalid":
            return { kind: "refused", why: `"${source.ref}" ${source.error}`, fix: "write it as registry/repository@sha256:<digest> (or :<tag>)" };
        case "public":
            return { kind: "none", why: `${source.domain} serves public images anonymously` };
        case "private":
            return {
                kind: "refused",
                why: `"${source.ref}" is in ${source.domain}, a registry outside Azure for which kedascale holds no credential (and will not keep a registry password in a Secret)`,
                fix: `build it here with image: { build: { context } } (pushed to the stack's registry), or copy it into an Azure Container Registry (\`az acr import --source ${source.ref}\`) and name it as image: { ref, registryId }`,
            };
        case "stackRegistry":
            if (platform === "local") return { kind: "none", why: "the local registry takes anonymous pulls" };
            if (platform === "virtualNodes") return { kind: "pullToken", repository: source.repository };
            if (platform === "containerApps") return { kind: "jobIdentity", registry: "stack" };
            return { kind: "kubeletAcrPull", registry: "stack" };
        case "acr":
            if (platform === "local") {
                return { kind: "refused", why: `"${source.ref}" is in an Azure Container Registry, which a laptop cluster has no identity to pull from`, fix: "use a public image, or image: { build } (pushed to cluster.local.registry)" };
            }
            if (platform === "virtualNodes") {
                return {
                    kind: "refused",
                    why: `"${source.ref}" is in another ACR; virtual-node pods have no identity and pull with a token of the stack's own registry, which cannot reach another registry`,
                    fix: "use image: { build } (pushed to the stack's registry), a public image, or a node placement",
                };
            }
            return platform === "containerApps" ? { kind: "jobIdentity", registry: source.registryId } : { kind: "kubeletAcrPull", registry: source.registryId };
    }
}

/** The ACR name a resource id names, lowercase (login servers are lowercase); undefined when it is not an ACR id. */
export function acrNameOf(registryId: string): string | undefined {
    return ACR_RESOURCE_ID.exec(registryId)?.[1]?.toLowerCase();
}
