/**
 * A workload's `handler` (issue 22 point 4): one mode, an image that can carry it, ports and paths the worker's CLI
 * accepts (docs/worker-runtime.md, "The command-line contract"), settings that have an effect, and platforms that can
 * run the pod's shape. All at preview, before any resource is registered.
 */
import { onVirtualNodes } from "../virtualNodes";
import { onContainerApps } from "../workloadPlatform";
import type { StackConfig } from "../stack";
import { NATIVE_SIDECAR_MINOR, WORKER_HEALTH_PORT, WORKER_IMAGE_BUILD_ARG } from "../../plan/handler";
import { cpuMillis, memoryMiB } from "../quantity";
import { key, error, type Problem } from "./problem";

const EXEC_FIX = `use handler: { exec: [command, args…] } with image: { build } FROM the worker image (examples/handlers/exec/Dockerfile): one container, the worker inside the team's image`;

export function handlerRules(cfg: StackConfig): Problem[] {
    const problems: Problem[] = [];
    cfg.workloads.forEach((w, i) => {
        const h = w.handler;
        if (h === undefined) return;
        const k = (...p: string[]) => key("workloads", i, ...p);
        const at = (p: string) => k("handler", p);
        if ((h.http === undefined) === (h.exec === undefined)) {
            problems.push(error([k("handler")], `handler ${JSON.stringify(h)} names ${h.http ? "both http and exec" : "neither http nor exec"}: the worker runs one handler mode`, `keep exactly one: handler: { http: { port, path, healthPath }, resources } (your server beside the worker) or handler: { exec: [command, args…] } (a process per message)`));
            return;
        }
        const mode = h.http ? "http" : "exec";
        if (w.image === undefined) {
            problems.push(
                error(
                    [k("handler", mode), k("image")],
                    mode === "http" ? `handler.http runs your HTTP server beside the worker, but workload "${w.name}" names no image to run it from` : `handler.exec runs the worker inside your image, but workload "${w.name}" names none`,
                    mode === "http" ? `set image to your handler's image, e.g. image: { build: { context: examples/handlers/http } }` : `set image: { build: { context } } with a Dockerfile FROM \${${WORKER_IMAGE_BUILD_ARG}} (examples/handlers/exec/Dockerfile); kedascale passes the stack's worker image as that build argument`,
                ),
            );
        }
        if (h.exec) {
            // The worker inside the image must be this stack's worker (its CLI contract, its code cache's Node): only a
            // build here gets it as WORKER_IMAGE; a prebuilt reference carries whatever worker, or none, it was built on.
            if (w.image !== undefined && !(typeof w.image === "object" && "build" in w.image)) {
                problems.push(error([k("image"), at("exec")], `image ${JSON.stringify(w.image)} is prebuilt: handler.exec needs the worker inside the image, built FROM this stack's worker image, which only a build here can name`, `use image: { build: { context } } with a Dockerfile starting ARG ${WORKER_IMAGE_BUILD_ARG} / FROM \${${WORKER_IMAGE_BUILD_ARG}} (examples/handlers/exec/Dockerfile)`));
            }
            if (typeof w.image === "object" && "build" in w.image && w.image.build.args?.[WORKER_IMAGE_BUILD_ARG] !== undefined) {
                problems.push(error([k("image", "build", "args", WORKER_IMAGE_BUILD_ARG)], `image.build.args.${WORKER_IMAGE_BUILD_ARG} "${w.image.build.args[WORKER_IMAGE_BUILD_ARG]}" would be overridden: kedascale passes the stack's own worker image (by digest) for handler.exec`, `remove it`));
            }
            for (const field of ["command", "args"] as const) {
                if (w[field] !== undefined) {
                    problems.push(error([k(field), at("exec")], `${field} ${JSON.stringify(w[field])} conflicts with handler.exec: the container runs the worker (\`work --handler exec -- ${h.exec.join(" ")}\`), whose command and arguments kedascale sets`, `put your command and its arguments in handler.exec, and remove ${field}`));
                }
            }
            if (h.resources !== undefined) {
                problems.push(error([at("resources")], `handler.resources has no effect with handler.exec: the worker and the processes it runs share the one container, sized by resources`, `remove handler.resources and size resources for both`));
            }
            return;
        }
        const http = h.http!;
        if (!Number.isInteger(http.port) || http.port < 1 || http.port > 65535) {
            problems.push(error([k("handler", "http", "port")], `port ${http.port} is not a TCP port`, `use a port from 1 to 65535 that your server listens on, e.g. 8081`));
        } else if (http.port === WORKER_HEALTH_PORT && w.kind === "deployment") {
            problems.push(error([k("handler", "http", "port")], `port ${http.port} is the worker's own health port in the pod (--health-port ${WORKER_HEALTH_PORT}: /livez, /healthz); both containers share the pod's network, so one of them could not listen`, `use another port, e.g. 8081, and make your server listen there (the example handler reads PORT: env: { PORT: "8081" })`));
        }
        for (const [field, value] of [["path", http.path], ["healthPath", http.healthPath]] as const) {
            if (!value.startsWith("/")) problems.push(error([k("handler", "http", field)], `${field} "${value}" does not start with '/': the worker and the kubelet request http://<pod>:<port><${field}>`, `write it as "/${value}"`));
        }
        if (h.resources !== undefined) {
            const r = h.resources;
            if (r.limits.cpu !== undefined && cpuMillis(r.limits.cpu)! < cpuMillis(r.requests.cpu)!) problems.push(error([at("resources")], `handler.resources: limit cpu ${r.limits.cpu} is below request ${r.requests.cpu}`, "make limits ≥ requests"));
            if (memoryMiB(r.limits.memory)! < memoryMiB(r.requests.memory)!) problems.push(error([at("resources")], `handler.resources: limit memory ${r.limits.memory} is below request ${r.requests.memory}`, "make limits ≥ requests"));
        } else {
            problems.push(error([at("resources"), at("http")], `handler.http runs your server as a second container, and workload "${w.name}" gives it no requests: the scheduler, the capacity checks and KEDA's arithmetic would count the worker's alone`, `add handler.resources: { requests: { cpu, memory }, limits: { memory } } for your server (resources stays the worker's)`));
        }
        // Virtual nodes: the Job shape needs init containers, which ACI does not run (limits/aci.ts); kedascale renders
        // one container per ACI pod (plan/virtualNodes.ts), with no probes, which the handler's startup needs.
        if (onVirtualNodes(w)) {
            problems.push(error([at("http"), k("placement")], `handler.http cannot run on virtual nodes (placement "${w.placement}"): a Job's handler is a native sidecar, an init container, and ACI runs no init containers (aks-docs virtual-nodes.md, "Limitations"); kedascale's ACI pod is one container without probes`, `${EXEC_FIX}, or a node placement`));
        }
        // Container Apps: a job's sidecars are plain `containers` (no restartPolicy per container) and init containers
        // must exit before the main container starts (MicrosoftDocs/azure-docs articles/container-apps/containers.md,
        // "Multiple containers"); an execution completes "when its replicas exit" (jobs.md), and a server never exits,
        // so each execution would run until replicaTimeout and count as failed.
        if (onContainerApps(w)) {
            problems.push(error([at("http"), k("platform")], `handler.http cannot run as a Container Apps job: ACA has no native sidecar (init containers must exit before the main container starts; other containers run to the end), and an execution completes only when all its containers exit, which a server never does`, `${EXEC_FIX}, or platform aks`));
        }
        const version = cfg.cluster.kubernetesVersion;
        const minor = Number(/^1\.(\d+)/.exec(version ?? "")?.[1]);
        if (w.kind === "job" && version !== undefined && minor < NATIVE_SIDECAR_MINOR) {
            problems.push(error([at("http"), key("cluster", "kubernetesVersion")], `Kubernetes ${version} has no native sidecars (init containers with restartPolicy: Always, on by default from 1.${NATIVE_SIDECAR_MINOR}): the handler would run as an init container that never exits, and the Job's worker would never start`, `use Kubernetes 1.${NATIVE_SIDECAR_MINOR} or later, or kind deployment, or handler.exec`));
        }
    });
    return problems;
}
