/**
 * What a workload with a `handler` renders (issue 22 point 4), from config to the objects sent, each schema-validated
 * (kubernetes-models, and KEDA's): http beside the worker (a Deployment's second container, a Job's native sidecar),
 * exec inside the team's image, and the worker's arguments parsed by the worker's own CLI, so the pod runs what the
 * CLI accepts. kubernetes-models 4.5.1 knows Container.restartPolicy (a string); the rule that only an init container
 * may set it, and only to "Always" (k8s.io/api core/v1 types.go Container.RestartPolicy, the text its model carries),
 * is asserted here.
 */
import { Command } from "../consumer/node_modules/commander";
import { Job } from "kubernetes-models/batch/v1/Job";
import { describe, expect, it } from "vitest";
import { addFlags, resolveFlags } from "../consumer/src/options";
import { runtimeFlagProblems } from "../consumer/src/runtime/flags";
import { parseConfig } from "../components/config/load";
import { renderDeployment, renderLoadTemplate, renderScaledJob, type WorkloadInputs } from "../components/plan/workload";
import { WORKER_COMMAND } from "../components/plan/virtualNodes";
import { containerAppsJobSettings, workloadImageBuilds } from "../components/stackArgs";
import { validateKubernetesObject } from "./harness/kubeValidate";
import { workloadSchema } from "../components/config/workloads";
import { resolveWorkload } from "../components/k8s/workloadArgs";

const spot = { name: "spot", vmSize: "Standard_D4ds_v5", priority: "Spot", maxCount: 10 };
const resources = { requests: { cpu: "100m", memory: "96Mi" }, limits: { memory: "192Mi" } };
const handlerResources = { requests: { cpu: "50m", memory: "48Mi" }, limits: { memory: "96Mi" } };
const TEAM = "r.azurecr.io/py-handler@sha256:" + "b".repeat(64);
const WORKER = "r.azurecr.io/kedascale-worker@sha256:" + "a".repeat(64);
const workload = (w: Record<string, unknown>, config: Record<string, unknown> = {}) =>
    parseConfig({ pools: [spot], ...config, workloads: [{ name: "h", kind: "job", resources, image: { build: { context: "examples/handlers/http" } }, ...w }] }).config.workloads[0];
const inputs: WorkloadInputs = {
    broker: { kind: "storageQueue", entity: { queue: "h" }, resourceName: "acct", lockDurationMs: 60_000, maxDeliveryCount: 5 },
    results: { account: "res", container: "results" },
    image: TEAM,
    workerImage: WORKER,
    serviceAccountName: "h",
    loadServiceAccountName: "h-load",
    shutdown: { terminationGracePeriodSeconds: 30, workerGraceMs: 20_000, spot: true },
};
const http = { http: { port: 8081, path: "/events", healthPath: "/ready" }, resources: handlerResources };

/** The worker CLI's verdict on rendered args (`work …`), as `work` itself decides at start: every problem, or none. */
function workerCliProblems(args: string[]): string[] {
    expect(args[0]).toBe("work");
    const dash = args.indexOf("--");
    const cmd = addFlags(new Command("work").exitOverride(), "work");
    cmd.parse(dash < 0 ? args.slice(1) : args.slice(1, dash), { from: "user" });
    const resolved = resolveFlags(cmd, "work", {});
    if ("errors" in resolved) return resolved.errors;
    return runtimeFlagProblems(resolved, dash < 0 ? [] : args.slice(dash + 1));
}

/** Kubernetes' rule for Container.restartPolicy: init containers only, and only "Always". */
function restartPolicyViolations(pod: any): string[] {
    return [
        ...(pod.containers ?? []).filter((c: any) => c.restartPolicy !== undefined).map((c: any) => `container ${c.name} sets restartPolicy`),
        ...(pod.initContainers ?? []).filter((c: any) => c.restartPolicy !== undefined && c.restartPolicy !== "Always").map((c: any) => `init container ${c.name}: restartPolicy ${c.restartPolicy}`),
    ];
}

const names = (env: { name: string }[] | undefined) => (env ?? []).map((e) => e.name);

describe("handler.http in a Deployment: two containers in one pod", () => {
    const w = workload({ kind: "deployment", handler: http, env: { PORT: "8081" }, command: ["python3", "/app/handler.py"] });
    const d = renderDeployment(w, inputs);
    const pod = d.spec.template.spec;
    const [worker, handler] = pod.containers;

    it("validates, and runs the worker image beside the team's image", () => {
        validateKubernetesObject(d);
        expect(pod.containers.map((c: any) => [c.name, c.image])).toEqual([["worker", WORKER], ["handler", TEAM]]);
        expect(pod.initContainers).toBeUndefined();
        expect(restartPolicyViolations(pod)).toEqual([]);
    });

    it("gives the worker the handler flags, its own health port and probes (/livez alive, /healthz ready), and the CLI accepts them", () => {
        expect(worker.args).toEqual(["work", "--inflight", "8", "--health-port", "8080", "--handler", "http", "--handler-port", "8081", "--handler-path", "/events", "--handler-health-path", "/ready"]);
        expect(workerCliProblems(worker.args)).toEqual([]);
        // …and the same CLI would refuse the pair preflight refuses (handler port = health port).
        expect(workerCliProblems(["work", "--health-port", "8080", "--handler", "http", "--handler-port", "8080"]).join()).toMatch(/--handler-port and --health-port are both 8080/);
        expect(worker.livenessProbe.httpGet).toEqual({ path: "/livez", port: 8080 });
        expect(worker.readinessProbe.httpGet).toEqual({ path: "/healthz", port: 8080 });
        expect(worker.resources).toEqual({ requests: resources.requests, limits: resources.limits });
    });

    it("runs the team's command on its port with probes on healthPath, its own requests and the team image's hardening", () => {
        expect(handler.command).toEqual(["python3", "/app/handler.py"]);
        expect(handler.ports).toEqual([{ name: "handler", containerPort: 8081, protocol: "TCP" }]);
        expect(handler.startupProbe.httpGet).toEqual({ path: "/ready", port: 8081 });
        expect(handler.readinessProbe.httpGet).toEqual({ path: "/ready", port: 8081 });
        expect(handler.resources).toEqual({ requests: handlerResources.requests, limits: handlerResources.limits });
        expect(handler.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
        expect(handler.volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
    });

    it("gives only the worker the queue: the contract goes to the worker, the workload's env to the handler, and the identity webhook skips the handler", () => {
        expect(names(worker.env)).toEqual(expect.arrayContaining(["KEDASCALE_BROKER", "KEDASCALE_STORAGE_ACCOUNT", "KEDASCALE_QUEUE", "KEDASCALE_GRACE_MS"]));
        expect(names(worker.env)).not.toContain("PORT");
        expect(handler.env).toEqual([{ name: "PORT", value: "8081" }]);
        expect(d.spec.template.metadata.labels["azure.workload.identity/use"]).toBe("true");
        expect(d.spec.template.metadata.annotations).toEqual({ "azure.workload.identity/skip-containers": "handler" });
    });
});

describe("handler.http in a ScaledJob: the handler as a native sidecar, the worker as the Job's one main container", () => {
    const w = workload({ handler: http });
    const sj = renderScaledJob(w, inputs);
    const pod = sj.spec.jobTargetRef.template.spec;

    it("validates as a ScaledJob and its template as a batch/v1 Job", () => {
        validateKubernetesObject(sj);
        new Job({ apiVersion: "batch/v1", kind: "Job", metadata: { name: "h-1" }, spec: sj.spec.jobTargetRef } as any).validate();
        expect(restartPolicyViolations(pod)).toEqual([]);
    });

    it("starts the handler first (restartPolicy Always, startup probe on healthPath) and the worker with --once, so the Job ends with the worker", () => {
        expect(pod.restartPolicy).toBe("Never");
        expect(pod.initContainers).toHaveLength(1);
        const [sidecar] = pod.initContainers;
        expect(sidecar).toMatchObject({ name: "handler", image: TEAM, restartPolicy: "Always", ports: [{ name: "handler", containerPort: 8081, protocol: "TCP" }] });
        expect(sidecar.startupProbe).toEqual({ httpGet: { path: "/ready", port: 8081 }, periodSeconds: 2, failureThreshold: 60 });
        expect(sidecar.readinessProbe).toBeUndefined();
        expect(sidecar.env).toBeUndefined();
        expect(pod.containers.map((c: any) => c.name)).toEqual(["worker"]);
        const worker = pod.containers[0];
        expect(worker.image).toBe(WORKER);
        expect(worker.args).toEqual(["work", "--once", "--handler", "http", "--handler-port", "8081", "--handler-path", "/events", "--handler-health-path", "/ready"]);
        expect(workerCliProblems(worker.args)).toEqual([]);
        expect(sj.spec.jobTargetRef.template.metadata.annotations).toEqual({ "azure.workload.identity/skip-containers": "handler" });
    });

    it("drains with job.mode drain, and the load template still runs the worker's send alone", () => {
        const drain = renderScaledJob(workload({ handler: http, job: { mode: "drain" } }), inputs);
        expect(drain.spec.jobTargetRef.template.spec.containers[0].args.slice(0, 2)).toEqual(["work", "--drain"]);
        const load = renderLoadTemplate(workload({ handler: http, loadTest: { messages: 5 } }), inputs)!;
        validateKubernetesObject(load);
        const loadPod = load.spec.jobTemplate.spec.template.spec;
        expect(loadPod.initContainers).toBeUndefined();
        expect(loadPod.containers.map((c: any) => [c.image, c.args[0]])).toEqual([[WORKER, "send"]]);
    });

    it("in the local stack (no identity webhook) carries no skip annotation", () => {
        const local = renderScaledJob(workload({ handler: http, placement: "any" }), { ...inputs, azuriteSecret: "azurite-connection" });
        expect(local.spec.jobTargetRef.template.metadata.annotations).toBeUndefined();
    });

    it("refuses to render beside no worker image rather than run the team image as the worker", () => {
        expect(() => renderScaledJob(w, { ...inputs, workerImage: undefined })).toThrow(/workerImage is required/);
    });
});

describe("handler.exec: the worker inside the team's image", () => {
    const exec = { exec: ["/handler/handler.sh", "--fast"] };

    it("a Deployment: one container of the team image running work --handler exec -- <command>, with the contract and the workload's env", () => {
        const d = renderDeployment(workload({ kind: "deployment", handler: exec, env: { RESULTS_DIR: "/tmp/results" } }), inputs);
        validateKubernetesObject(d);
        const pod = d.spec.template.spec;
        expect(pod.containers).toHaveLength(1);
        const [c] = pod.containers;
        expect(c.image).toBe(TEAM);
        expect(c.command).toBeUndefined(); // the worker image's ENTRYPOINT, inherited FROM it
        expect(c.args).toEqual(["work", "--inflight", "8", "--health-port", "8080", "--handler", "exec", "--", "/handler/handler.sh", "--fast"]);
        expect(workerCliProblems(c.args)).toEqual([]);
        expect(c.livenessProbe.httpGet.path).toBe("/livez");
        expect(names(c.env)).toEqual(expect.arrayContaining(["KEDASCALE_QUEUE", "KEDASCALE_GRACE_MS", "RESULTS_DIR"]));
        expect(c.volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
        expect(d.spec.template.metadata.annotations).toBeUndefined();
    });

    it("a ScaledJob: work --once --handler exec -- <command>", () => {
        const sj = renderScaledJob(workload({ handler: exec }), inputs);
        validateKubernetesObject(sj);
        expect(sj.spec.jobTargetRef.template.spec.containers[0].args).toEqual(["work", "--once", "--handler", "exec", "--", "/handler/handler.sh", "--fast"]);
        expect(sj.spec.jobTargetRef.template.spec.initContainers).toBeUndefined();
    });

    it("on virtual nodes: the worker's command before the args, as ACI requires", () => {
        const vn = { cluster: { virtualNodes: true }, network: { plugin: "azureNodeSubnet" }, messaging: { broker: "serviceBus", virtualNodes: { acceptLocalAuth: true } } };
        const w = workload({ placement: "virtualNodes", handler: exec, resources: { requests: { cpu: "100m", memory: "96Mi" }, limits: { memory: "96Mi" } } }, vn);
        const sj = renderScaledJob(w, inputs);
        validateKubernetesObject(sj);
        const [c] = sj.spec.jobTargetRef.template.spec.containers;
        expect(c.command).toEqual([...WORKER_COMMAND]);
        expect(c.args).toEqual(["work", "--once", "--handler", "exec", "--", "/handler/handler.sh", "--fast"]);
    });

    it("as a Container Apps job: work --once --handler exec -- <command> in the team image", () => {
        const w = workload({ platform: "containerApps", handler: exec, resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "1Gi" } } }, { pools: undefined });
        const s = containerAppsJobSettings(w as any);
        expect(s.teamImage).toEqual({ args: ["work", "--once", "--handler", "exec", "--", "/handler/handler.sh", "--fast"] });
        expect(workerCliProblems(s.teamImage!.args!)).toEqual([]);
    });

    it("is built FROM the stack's worker image: WORKER_IMAGE is passed as a build argument, other builds get none", () => {
        const config = parseConfig({
            pools: [spot],
            workloads: [
                { name: "x", kind: "job", resources, image: { build: { context: "examples/handlers/exec", args: { EXTRA: "1" } } }, handler: exec },
                { name: "y", kind: "job", resources, image: { build: { context: "examples/handlers/http" } }, handler: http },
            ],
        }).config;
        const builds = workloadImageBuilds(config, "/repo", { loginServer: "r.azurecr.io" }, WORKER);
        expect(builds.map((b) => [b.workload, b.args.buildArgs, b.args.dockerfile])).toEqual([
            ["x", { EXTRA: "1", WORKER_IMAGE: WORKER }, "/repo/examples/handlers/exec/Dockerfile"],
            ["y", undefined, "/repo/examples/handlers/http/Dockerfile"],
        ]);
    });
});

describe("ScaledWorkload takes a handler with the config's defaults", () => {
    it.each([
        ["http", { http: { port: 8081 }, resources: handlerResources }],
        ["exec", { exec: ["/handler/handler.sh"] }],
    ] as const)("%s", (_mode, handler) => {
        const w = { name: "w", kind: "job", resources, image: "mcr.microsoft.com/team/app@sha256:" + "c".repeat(64), handler } as const;
        const { platform: _platform, containerApps: _aca, ...schema } = workloadSchema.parse(w) as Record<string, unknown>;
        expect(resolveWorkload(w as any)).toEqual(schema);
        expect(resolveWorkload(w as any).handler).toStrictEqual(schema.handler);
    });
});
