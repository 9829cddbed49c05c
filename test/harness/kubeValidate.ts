/**
 * Validates rendered Kubernetes objects: the published schemas (kubernetes-models, @kubernetes-models/keda)
 * plus KEDA v2.20's CEL rules that the v2.19-generated models do not know (FACTS §9).
 */
import { ScaledJob } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledJob";
import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject";
import { TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { Job } from "kubernetes-models/batch/v1/Job";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
    ScaledObject,
    ScaledJob,
    TriggerAuthentication,
    Deployment,
    Job,
    CronJob,
    ServiceAccount,
    Namespace,
    Secret,
};

/** KEDA v2.20 admission rules, beyond the schema. Returns the violations. */
export function kedaV220Violations(obj: { kind: string; metadata: { name: string }; spec: any }): string[] {
    const s = obj.spec;
    const v: string[] = [];
    if (obj.kind !== "ScaledObject" && obj.kind !== "ScaledJob") return v;
    const min = s.minReplicaCount ?? 0;
    const max = s.maxReplicaCount ?? 100;
    if (min > max) v.push(`minReplicaCount ${min} > maxReplicaCount ${max}`);
    if (s.pollingInterval !== undefined && s.pollingInterval < 1) v.push(`pollingInterval ${s.pollingInterval} < 1`);
    for (const t of s.triggers ?? []) {
        for (const [k, value] of Object.entries(t.metadata ?? {})) if (typeof value !== "string") v.push(`trigger metadata ${k} is not a string`);
        if (obj.kind === "ScaledJob" && t.metricType !== undefined) v.push("metricType on a ScaledJob trigger");
    }
    if (obj.kind === "ScaledObject") {
        if (obj.metadata.name.length > 54) v.push(`name longer than 54`);
        if (s.idleReplicaCount !== undefined && (s.idleReplicaCount !== 0 || s.idleReplicaCount >= min)) v.push(`idleReplicaCount ${s.idleReplicaCount} must be 0 and < min ${min}`);
    } else {
        if (!["gradual", "immediate"].includes(s.rollout?.strategy ?? "default")) v.push(`rollout.strategy ${s.rollout?.strategy}`);
        if (!["default", "custom", "accurate", "eager"].includes(s.scalingStrategy?.strategy ?? "default")) v.push(`scalingStrategy ${s.scalingStrategy?.strategy}`);
        if (s.fallback !== undefined) v.push("fallback on a ScaledJob");
    }
    return v;
}

/** Pulumi's wire form of a secret value, as the mocks record inputs: { <SECRET_SIG>: <SECRET_VALUE_SIG>, value }. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** The object with every recorded secret replaced by its plain value (what the API server receives). */
export function unwrapSecrets<T>(value: T): T {
    if (Array.isArray(value)) return value.map(unwrapSecrets) as T;
    if (value && typeof value === "object") {
        if (SECRET_SIG in value && "value" in value) return unwrapSecrets((value as { value: T }).value);
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)])) as T;
    }
    return value;
}

/** Throws with the reason when an object is not valid for its kind. */
export function validateKubernetesObject(recorded: { apiVersion: string; kind: string; metadata: any; spec?: any }): void {
    const obj = unwrapSecrets(recorded);
    const Model = MODELS[obj.kind];
    if (!Model) throw new Error(`no schema model for kind ${obj.kind}`);
    new Model(obj).validate();
    const violations = kedaV220Violations(obj as any);
    if (violations.length) throw new Error(`${obj.kind} ${obj.metadata.name}: ${violations.join("; ")}`);
}
