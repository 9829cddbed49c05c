/**
 * What a container running a team's image gets (issues 21 and 22), pure: its hardening, a writable /tmp, its own
 * variables, and an http handler's whole container beside the kedascale worker. plan/workload.ts puts them in pods.
 */
import type { WorkloadConfig } from "../config/workloads";
import type { WorkloadRuntime } from "./workloadImage";

type TeamFields = Pick<WorkloadConfig, "runAsUser" | "env" | "command" | "args">;

/**
 * An http handler's container takes no Entra token: the workload-identity webhook otherwise injects the projected
 * token and AZURE_* into every container of a labelled pod; this annotation names the ones it skips (aks-docs
 * workload-identity-overview.md, "Pod annotations": a semicolon-separated list of container names).
 */
export const SKIP_IDENTITY_ANNOTATION = "azure.workload.identity/skip-containers";
export const HANDLER_CONTAINER = "handler";

/**
 * A team image's hardening: the kedascale worker's, but under the image's own USER (kubelet refuses to start it if
 * that is root, or not numeric, under runAsNonRoot) unless the workload names runAsUser; a writable /tmp (TEAM_TMP)
 * because the root filesystem is read-only.
 */
export const teamSecurityContext = (w: Pick<TeamFields, "runAsUser">) => ({
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    ...(w.runAsUser !== undefined ? { runAsUser: w.runAsUser } : {}),
    capabilities: { drop: ["ALL"] },
});
export const TEAM_TMP = { volume: { name: "tmp", emptyDir: {} }, mount: { name: "tmp", mountPath: "/tmp" } };

/** The workload's own variables, after the contract's (preflight refuses a name that would collide). */
export const ownEnv = (w: Pick<TeamFields, "env">) => Object.entries(w.env ?? {}).map(([name, value]) => ({ name, value }));

/**
 * The team's http handler beside the worker: the workload's image, command, args and env (its own settings only: no
 * contract variable, no queue credential, no Entra token — only the worker talks to the queue), its own requests, the
 * team image's hardening. In a Job it is a native sidecar (`restartPolicy: Always` on an init container, Kubernetes
 * ≥ 1.29): the kubelet starts the worker only once its startup probe passed, and stops it once the worker exited, so
 * the Job completes (kubernetes.io "Sidecar Containers"). In a Deployment it is a second container, in the pod's
 * readiness too.
 */
export function handlerContainer(w: TeamFields, image: string, http: Extract<WorkloadRuntime, { kind: "http" }>, sidecar: boolean): Record<string, unknown> {
    const env = ownEnv(w);
    const health = { httpGet: { path: http.healthPath, port: http.port } };
    return {
        name: HANDLER_CONTAINER,
        image,
        ...(w.command ? { command: [...w.command] } : {}),
        ...(w.args ? { args: [...w.args] } : {}),
        ...(sidecar ? { restartPolicy: "Always" } : {}),
        // protocol explicit: KEDA's ScaledJob CRD schema requires it on a port (the Pod API defaults it to TCP).
        ports: [{ name: "handler", containerPort: http.port, protocol: "TCP" }],
        ...(env.length > 0 ? { env } : {}),
        // Up to 2 minutes to start (an interpreter and its imports); the worker checks the health path again itself.
        startupProbe: { ...health, periodSeconds: 2, failureThreshold: 60 },
        ...(sidecar ? {} : { readinessProbe: { ...health, periodSeconds: 10, failureThreshold: 3 } }),
        ...(http.resources ? { resources: { requests: { ...http.resources.requests }, limits: { ...http.resources.limits } } } : {}),
        securityContext: teamSecurityContext(w),
        volumeMounts: [TEAM_TMP.mount],
    };
}
