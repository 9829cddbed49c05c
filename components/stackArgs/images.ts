/**
 * Stack config → what each workload's container runs (issue 21 point 2): the images the stack builds
 * (`image: { build }`, like the worker's), the reference each workload's pods get, and the registry an ACA job pulls
 * from with its identity. Decisions in plan/workloadImage.ts; preflight refused what no platform can pull.
 */
import { isAbsolute, join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/stack";
import type { WorkerImageArgs } from "../k8s/workerImage";
import { imageSource } from "../plan/workloadImage";
import { WORKER_IMAGE_BUILD_ARG } from "../plan/handler";

type Workload = StackConfig["workloads"][number];

/**
 * `{ build }` images: one WorkerImage each, pushed to `<loginServer>/<workload>`, paths resolved against the project
 * directory. An exec handler's image is built FROM the worker image (examples/handlers/exec/Dockerfile), so it gets
 * `WORKER_IMAGE` = the stack's worker image by digest: the build waits for that push, and a new worker rebuilds it.
 */
export function workloadImageBuilds(
    config: Readonly<StackConfig>,
    repoRoot: string,
    push: Pick<WorkerImageArgs, "loginServer" | "tenantId" | "platform">,
    workerImage: pulumi.Input<string>,
): { workload: string; resourceName: string; args: WorkerImageArgs }[] {
    const at = (p: string) => (isAbsolute(p) ? p : join(repoRoot, p));
    return config.workloads.flatMap((w) => {
        const source = imageSource(w);
        if (source.from !== "stackRegistry" || !source.build) return [];
        const b = source.build;
        return [
            {
                workload: w.name,
                resourceName: `image-${w.name}`,
                args: {
                    ...push,
                    context: at(b.context),
                    dockerfile: at(b.dockerfile ?? join(b.context, "Dockerfile")),
                    repository: source.repository,
                    ...(b.target !== undefined ? { target: b.target } : {}),
                    ...(b.args !== undefined || w.handler?.exec ? { buildArgs: { ...b.args, ...(w.handler?.exec ? { [WORKER_IMAGE_BUILD_ARG]: workerImage } : {}) } } : {}),
                },
            },
        ];
    });
}

/** The reference a workload's pods run: the worker's digest, its own build's digest, or the reference as configured. */
export function workloadImageRef(w: Workload, worker: pulumi.Input<string>, built: ReadonlyMap<string, pulumi.Input<string>>): pulumi.Input<string> {
    const source = imageSource(w);
    if (source.from === "stackRegistry") return source.build ? built.get(w.name)! : worker;
    if (source.from === "public" || source.from === "acr") return source.ref;
    throw new Error(`workload ${w.name}: image ${JSON.stringify(w.image)} cannot be pulled here (preflight refuses it: rules/workloadImage.ts)`);
}

/** The registry an ACA job pulls from with its worker identity: the stack's, another ACR, or none (public). */
export function containerAppsRegistry(
    w: Workload,
    stack: { loginServer: pulumi.Input<string>; registryId: pulumi.Input<string> },
): { loginServer: pulumi.Input<string>; registryId: pulumi.Input<string> } | undefined {
    const source = imageSource(w);
    if (source.from === "stackRegistry") return stack;
    if (source.from === "acr") return { loginServer: source.domain, registryId: source.registryId };
    return undefined;
}
