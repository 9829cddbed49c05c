/**
 * What a workload runs (issue 21 points 2–3): image references and whether its platform can pull them, `{ build }`
 * paths, command/args/env and the names kedascale reserves. Pure apart from reading whether build paths exist (only
 * when the project directory is known: loadConfig passes it).
 */
import { existsSync, statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { onContainerApps } from "../workloadPlatform";
import type { StackConfig } from "../stack";
import { isParseError, parseImageReference } from "../../plan/imageReference";
import { ACR_LOGIN_SERVER, ACR_RESOURCE_ID, acrNameOf, imageSource, pullAccess, workloadRuntime, type PullPlatform } from "../../plan/workloadImage";
import { readsVirtualNodeBroker } from "../../plan/entities";
import { RESERVED_ENV_NAMES, RESERVED_ENV_PREFIX } from "../../plan/contract";
import { given, type RuleContext } from "./context";
import { error, key, warning, type Problem } from "./problem";

/**
 * Environment variable names every platform takes and every shell and SDK can read: POSIX's portable names
 * (letters, digits, '_', not starting with a digit; IEEE Std 1003.1 "Environment Variables"). Kubernetes ≥ 1.30
 * accepts more (any printable ASCII but '='), but a name a shell cannot read is a trap for the consumer.
 */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function platformOf(cfg: StackConfig, w: StackConfig["workloads"][number]): PullPlatform {
    if (cfg.cluster.local) return "local";
    if (onContainerApps(w)) return "containerApps";
    return readsVirtualNodeBroker(w) ? "virtualNodes" : "aks";
}

export function workloadImageRules(cfg: StackConfig, ctx: RuleContext): Problem[] {
    const problems: Problem[] = [];
    cfg.workloads.forEach((w, i) => {
        const k = (...p: string[]) => key("workloads", i, ...p);
        const image = w.image;
        if (image === undefined) return;
        const source = imageSource(w);
        const imageKey = typeof image === "object" && "ref" in image ? k("image", "ref") : k("image");
        if (source.from === "private" && ACR_LOGIN_SERVER.test(source.domain)) {
            problems.push(
                error([k("image")], `"${source.ref}" is in the Azure Container Registry ${source.domain}, named without its resource id: kedascale cannot grant the pull`, `write image: { ref: "${source.ref}", registryId: "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ContainerRegistry/registries/${ACR_LOGIN_SERVER.exec(source.domain)![1]}" } (the ${platformOf(cfg, w) === "containerApps" ? "job's identity" : "kubelet"} then gets AcrPull on it)`),
            );
        } else {
            const access = pullAccess(source, platformOf(cfg, w));
            if (access.kind === "refused") problems.push(error([imageKey, ...(platformOf(cfg, w) === "virtualNodes" ? [k("placement")] : [])], access.why, access.fix));
        }
        if (source.from === "acr") {
            const name = acrNameOf(source.registryId);
            if (!ACR_RESOURCE_ID.test(source.registryId)) {
                problems.push(error([k("image", "registryId")], `"${source.registryId}" is not an Azure Container Registry resource id`, `use /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.ContainerRegistry/registries/<name> (az acr show -n <name> --query id -o tsv)`));
            } else if (!ACR_LOGIN_SERVER.test(source.domain) || ACR_LOGIN_SERVER.exec(source.domain)![1] !== name) {
                problems.push(error([k("image", "ref"), k("image", "registryId")], `image "${source.ref}" is in ${source.domain}, but registryId names the registry "${name}": the AcrPull grant would be on a registry the image is not in`, `make the reference start with ${name}.azurecr.io/, or name the image's own registry`));
            }
        }
        if (source.from === "public" || source.from === "acr") {
            const parsed = parseImageReference(source.ref);
            if (!isParseError(parsed) && parsed.digest === undefined) {
                if (parsed.tag === undefined || parsed.tag === "latest") {
                    problems.push(error([imageKey], `"${source.ref}" ${parsed.tag === undefined ? "has no tag, which means latest," : "is tagged latest,"} a tag that moves with every push: pods started a minute apart can run different code, and \`pulumi up\` never sees the change`, `pin it by digest: ${source.ref.replace(/:latest$/, "")}@sha256:<digest> (\`docker buildx imagetools inspect ${source.ref}\` prints it), or at least a version tag`));
                } else {
                    problems.push(warning([imageKey], `"${source.ref}" is pinned by tag "${parsed.tag}", which its publisher can move: new pods may run different code than running ones, and \`pulumi up\` never sees it`, `pin it by digest: ${source.ref}@sha256:<digest>`));
                }
            }
        }
        if (source.from === "stackRegistry" && source.build && ctx.root !== undefined) {
            const at = (p: string) => (isAbsolute(p) ? p : join(ctx.root!, p));
            const context = at(source.build.context);
            if (!existsSync(context) || !statSync(context).isDirectory()) {
                problems.push(error([k("image", "build", "context")], `build context "${source.build.context}" is not a directory (resolved against the project directory ${ctx.root})`, `point it at the directory holding the image's sources, relative to where Pulumi.yaml is`));
            } else {
                const dockerfile = source.build.dockerfile ?? join(source.build.context, "Dockerfile");
                if (!existsSync(at(dockerfile))) {
                    problems.push(error([k("image", "build", source.build.dockerfile ? "dockerfile" : "context")], `no Dockerfile at "${dockerfile}"`, `add it, or set image.build.dockerfile to its path (relative to the project directory)`));
                }
            }
        }
    });
    return problems;
}

/** command/args/env: what only a team image takes, names, reserved names; worker-only flags with a team image. */
export function workloadCommandRules(cfg: StackConfig, ctx: RuleContext): Problem[] {
    const problems: Problem[] = [];
    cfg.workloads.forEach((w, i) => {
        const k = (...p: string[]) => key("workloads", i, ...p);
        const runtime = workloadRuntime(w);
        if (runtime.kind === "worker") {
            for (const field of ["command", "args"] as const) {
                if (w[field] !== undefined) {
                    problems.push(error([k(field), k("image")], `${field} ${JSON.stringify(w[field])} has no effect: workload "${w.name}" runs the kedascale worker, whose command and flags kedascale sets from the workload's settings`, `remove ${field}, or set image to the image that takes it`));
                }
            }
        } else if (runtime.kind === "image") {
            // Flags of the kedascale worker, meaningless to a team's image (a handler runs the worker: they apply).
            if (given(ctx, "workloads", i, "inflight") && !onContainerApps(w)) {
                problems.push(error([k("inflight"), k("image")], `inflight ${w.inflight} has no effect: it is the kedascale worker's --inflight, and workload "${w.name}" runs image ${JSON.stringify(w.image)}`, `remove inflight (your consumer decides its own concurrency), or remove image`));
            }
            if (given(ctx, "workloads", i, "job", "mode")) {
                problems.push(error([k("job", "mode"), k("image")], `job.mode "${w.job.mode}" has no effect: it is the kedascale worker's --once/--drain, and workload "${w.name}" runs its own image`, `remove job.mode (your consumer decides whether it takes one message or drains), or remove image`));
            }
            if (readsVirtualNodeBroker(w) && w.args !== undefined && w.command === undefined) {
                problems.push(error([k("args"), k("placement")], `args without command on a virtual-node workload: ACI refuses a container with args but no command (virtual-kubelet/azure-aci getContainers: "ACI does not support providing args without specifying the command")`, `add command (the image's entrypoint, e.g. ["python", "/app/consumer.py"])`));
            }
        }
        if (w.runAsUser !== undefined) {
            const why =
                runtime.kind === "worker"
                    ? `workload "${w.name}" runs the kedascale worker, which runs as uid 1000 (its image's user node)`
                    : onContainerApps(w)
                      ? "a Container Apps job takes no securityContext: the container runs as its image's USER"
                      : readsVirtualNodeBroker(w)
                        ? "the virtual-node (ACI) connector maps no securityContext: the container runs as its image's USER (virtual-kubelet/azure-aci getContainers)"
                        : undefined;
            if (why) problems.push(error([k("runAsUser")], `runAsUser ${w.runAsUser} has no effect: ${why}`, `remove runAsUser${runtime.kind === "worker" ? "" : ", and set USER in the image's Dockerfile"}`));
        }
        for (const name of Object.keys(w.env)) {
            const ek = [key("workloads", i, "env", name)];
            if (!ENV_NAME.test(name)) {
                problems.push(error(ek, `environment variable name "${name}" is not a portable name (letters, digits and '_', not starting with a digit)`, `rename it, e.g. "${name.replace(/[^A-Za-z0-9_]/g, "_").replace(/^(\d)/, "_$1")}"`));
            } else if (name.startsWith(RESERVED_ENV_PREFIX) || (RESERVED_ENV_NAMES as readonly string[]).includes(name)) {
                problems.push(
                    error(
                        ek,
                        `environment variable "${name}" is reserved: ${name.startsWith(RESERVED_ENV_PREFIX) ? `kedascale sets ${RESERVED_ENV_PREFIX}* (the queue's coordinates and the worker's flags)` : "it is a workload-identity variable the platform sets (AKS's webhook, or the Container Apps job)"}, and a second value would override or be overridden silently`,
                        `rename it; the contract variables are listed in docs/bring-your-own-worker.md`,
                    ),
                );
            }
        }
    });
    return problems;
}
