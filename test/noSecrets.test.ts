/**
 * Secretless by default: no resource input in any stack carries a key, password or connection string. The one
 * exception is the virtual-node (ACI) workloads' two Secrets each (ACI pods get no identity, FACTS §1): exactly
 * `<workload>-aci-credential` and `<workload>-aci-pull` per such workload, labelled for the policy pack, and nothing
 * else — any other Secret, or a credential anywhere else, still fails. The local stack (Azurite, no identity) holds
 * exactly its labelled `azurite-connection` Secret per namespace instead.
 */
import { describe, expect, it } from "vitest";
import { onVirtualNodes } from "../components/config/virtualNodes";
import { runProgram, type RecordedResource } from "./harness/runProgram";
import { clusterKind, kedaWorkloads, stackNames } from "./harness/stackConfig";

/**
 * The local stack (cluster.local): Azurite has no identity, so its connection string is allowed in exactly one Secret,
 * `azurite-connection`, in Azurite's namespace (the setup Job) and in each workload namespace (KEDA reads a
 * TriggerAuthentication's Secret from its own namespace), labelled `kedascale.io/allowed-secret: azurite`.
 */
const secretLabel = (stack: string) => (clusterKind(stack) === "local" ? "azurite" : "aci-credential");

/** The Secrets a stack may hold: two per virtual-node workload, or the local stack's Azurite Secret per namespace, by namespace/name. */
function allowedSecrets(stack: string): string[] {
    if (clusterKind(stack) === "local") {
        const namespaces = new Set(kedaWorkloads<{ namespace?: string; platform?: string }>(stack).map((w) => w.namespace ?? "workloads"));
        return ["azurite", ...namespaces].map((ns) => `${ns}/azurite-connection`);
    }
    return kedaWorkloads<{ name: string; namespace?: string; placement?: string; platform?: string }>(stack)
        .filter((w) => onVirtualNodes({ placement: w.placement ?? "spot" }))
        .flatMap((w) => [`${w.namespace ?? "workloads"}/${w.name}-aci-credential`, `${w.namespace ?? "workloads"}/${w.name}-aci-pull`]);
}

/** True when `value` is only references by name to allowed Secrets ({name, key?}, a list of {name}, or KEDA's {parameter, name, key}). */
function referencesOnly(value: unknown, allowed: string[]): boolean {
    const names = allowed.map((a) => a.split("/")[1]);
    const refs = Array.isArray(value) ? value : [value];
    return refs.every((r) => r && typeof r === "object" && names.includes((r as { name?: string }).name ?? "") && Object.keys(r).every((k) => k === "name" || k === "key" || k === "parameter"));
}

const isAllowedSecret = (r: RecordedResource, allowed: string[], label: string) =>
    r.type === "kubernetes:core/v1:Secret" &&
    r.inputs.metadata?.labels?.["kedascale.io/allowed-secret"] === label &&
    allowed.includes(`${r.inputs.metadata.namespace}/${r.inputs.metadata.name}`);

const SECRET_KEYS = /password|secret|connectionstring|accountkey|sharedaccesskey|sastoken|adminuser/i;
const SECRET_VALUES = /AccountKey=|SharedAccessKey=|SharedAccessSignature=|[?&]sig=|DefaultEndpointsProtocol=/i;

function* walk(value: unknown, path: string): Generator<[string, unknown]> {
    yield [path, value];
    if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* walk(v, `${path}[${i}]`);
    else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) yield* walk(v, `${path}.${k}`);
}

describe.each(stackNames())("stack %s", (stack) => {
    it("sends no credential to Azure or Kubernetes", async () => {
        const run = await runProgram(stack);
        const allowed = allowedSecrets(stack);
        const findings: string[] = [];
        for (const r of run.resources) {
            // The Kubernetes provider's kubeconfig is the one credential the program holds; it is a Pulumi secret.
            if (r.type === "pulumi:providers:kubernetes") continue;
            // The ACI credential and pull secret, checked by name below (and their scope in virtualNodes.test.ts).
            if (isAllowedSecret(r, allowed, secretLabel(stack))) continue;
            for (const [path, value] of walk(r.inputs, `${r.type}::${r.name}`)) {
                // The image push uses the deployer's short-lived ACR refresh token (Entra exchange, not the admin user).
                if (r.type === "docker:index/image:Image" && /\.registry(\.value)?\.password$/.test(path)) continue;
                const key = path.split(".").pop() ?? "";
                // A reference to an allowed Secret (by name) is not a secret: env valueFrom.secretKeyRef, imagePullSecrets.
                if (/^(secretKeyRef|secretTargetRef(\[\d+\])?|imagePullSecrets(\[\d+\])?)$/.test(key) && referencesOnly(value, allowed)) continue;
                if (SECRET_KEYS.test(key) && value !== false && value !== undefined) findings.push(`${path} = ${JSON.stringify(value)}`);
                if (typeof value === "string" && SECRET_VALUES.test(value)) findings.push(`${path} looks like a credential`);
            }
        }
        expect(findings).toEqual([]);
        const secrets = run.ofType("kubernetes:core/v1:Secret");
        expect(secrets.map((r) => `${r.inputs.metadata.namespace}/${r.inputs.metadata.name}`).sort()).toEqual([...allowed].sort());
        expect(secrets.every((r) => isAllowedSecret(r, allowed, secretLabel(stack)))).toBe(true);
        for (const image of run.ofType("docker:index/image:Image")) {
            // The local registry takes anonymous pushes: no credential at all.
            if (clusterKind(stack) === "local") expect(image.inputs.registry).toBeUndefined();
            else expect((image.inputs.registry.value ?? image.inputs.registry).username).toBe("00000000-0000-0000-0000-000000000000");
        }
    });
});
