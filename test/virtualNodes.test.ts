/**
 * The dev stack's burst workload on virtual nodes (issue 12), under mocks with the real index.ts and Pulumi.dev.yaml:
 * a pod ACI can run, a credential scoped to one queue only for it, local auth only on its tagged broker, the pull
 * secret from a repository-scoped ACR token, KEDA still on workload identity, and the connector's subnet grant.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ACI_UNSUPPORTED_POD_FIELDS } from "../components/limits/aci";
import { ROLES } from "../components/azure/roles";
import { VIRTUAL_NODE_SELECTOR, WORKER_COMMAND } from "../components/plan/virtualNodes";
import { checkNoConnectionStrings } from "../policy/policies/noConnectionStrings";
import { validateKubernetesObject } from "./harness/kubeValidate";
import { fakeGuid } from "./harness/mockState";
import { runProgram, type ProgramRun, type RecordedResource } from "./harness/runProgram";
import { REPO_ROOT } from "./harness/stackConfig";

let run: ProgramRun;
beforeAll(async () => {
    run = await runProgram("dev");
});

/** Secret inputs are recorded wrapped ({<sig>: …, value}); tests read the value. */
const unwrap = (v: any) => (v && typeof v === "object" && "value" in v && Object.keys(v).some((k) => /^[0-9a-f]{32}$/.test(k)) ? v.value : v);
const scaledJob = (name: string) => run.one("kubernetes:keda.sh/v1alpha1:ScaledJob", `workload-${name}-scaled-job`);
const podOf = (r: RecordedResource) => (r.inputs.spec.jobTargetRef ?? r.inputs.spec).template;
const secret = (name: string) => run.ofType("kubernetes:core/v1:Secret").find((s) => s.inputs.metadata.name === name)!;
const byAzureName = (type: string, name: string) => run.ofType(type).find((r) => r.id.endsWith(`/${name}`));

describe("the burst ScaledJob's pod", () => {
    it("is a valid ScaledJob whose pod ACI can run: virtual-node selector and tolerations, command + args, requests = limits at ACI's steps", () => {
        const sj = scaledJob("burst");
        validateKubernetesObject({ apiVersion: "keda.sh/v1alpha1", kind: "ScaledJob", metadata: sj.inputs.metadata, spec: sj.inputs.spec });
        const pod = podOf(sj).spec;
        expect(pod.nodeSelector).toEqual(VIRTUAL_NODE_SELECTOR);
        expect(pod.tolerations).toEqual([
            { key: "virtual-kubelet.io/provider", operator: "Exists" },
            { key: "azure.com/aci", effect: "NoSchedule" },
        ]);
        const c = pod.containers[0];
        expect(c.command).toEqual([...WORKER_COMMAND]);
        expect(c.args).toEqual(["work", "--once"]);
        // 250m is a multiple of 10 m; 512Mi = 536,870,912 bytes → 600M, the next 0.1 GB step (the connector rounds down).
        expect(c.resources).toEqual({ requests: { cpu: "250m", memory: "600M" }, limits: { cpu: "250m", memory: "600M" } });
        expect(pod.automountServiceAccountToken).toBe(false);
        expect(podOf(sj).metadata.labels["azure.workload.identity/use"]).toBeUndefined();
    });

    it("carries none of the fields the virtual-node add-on cannot run", () => {
        const pod = podOf(scaledJob("burst")).spec;
        const present = (path: string): boolean => {
            const [head, field] = path.split("[].");
            return field ? (pod[head] ?? []).some((c: any) => c[field] !== undefined) : pod[head] !== undefined;
        };
        expect(ACI_UNSUPPORTED_POD_FIELDS.filter((f) => present(f.path)).map((f) => f.path)).toEqual([]);
        // The same check sees the fields on the Spot Deployment (probes), so it is not vacuous.
        const dep = run.one("kubernetes:apps/v1:Deployment", "workload-worker-deployment").inputs.spec.template.spec;
        expect(dep.containers[0].livenessProbe).toBeDefined();
    });

    it("renders no securityContext, which the ACI connector drops (issue 23 point 12), where the Spot worker's holds", () => {
        // virtual-kubelet/azure-aci getContainers maps image, command, args, ports, env, resources and probes only: a
        // runAsNonRoot, read-only root or dropped capabilities here would read as enforced and would not be.
        const pod = podOf(scaledJob("burst")).spec;
        expect(pod.securityContext).toBeUndefined();
        expect(pod.containers.map((c: any) => c.securityContext)).toEqual([undefined]);
        const dep = run.one("kubernetes:apps/v1:Deployment", "workload-worker-deployment").inputs.spec.template.spec;
        expect(dep.containers[0].securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    });

    it("uses the worker image's real ENTRYPOINT as its command (ACI refuses args without a command)", () => {
        const dockerfile = readFileSync(join(REPO_ROOT, "consumer", "Dockerfile"), "utf8");
        const entrypoint = JSON.parse(/^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)![1]);
        expect(entrypoint).toEqual([...WORKER_COMMAND]);
    });
});

describe("the credential", () => {
    it("reaches the worker from its Secret by reference, never as a literal", () => {
        const env: any[] = podOf(scaledJob("burst")).spec.containers[0].env;
        const cred = unwrap(secret("burst-aci-credential").inputs.stringData);
        for (const name of ["KEDASCALE_CONNECTION_STRING", "KEDASCALE_RESULTS_CONNECTION_STRING"]) {
            const e = env.find((x) => x.name === name);
            expect(e.value).toBeUndefined();
            expect(e.valueFrom.secretKeyRef.name).toBe("burst-aci-credential");
            expect(cred[e.valueFrom.secretKeyRef.key]).toMatch(/SharedAccess/);
        }
        // Identity-auth names are left out: the Secret is the only way in.
        expect(env.map((e) => e.name)).not.toContain("KEDASCALE_SERVICEBUS_NAMESPACE");
        expect(env.find((e) => e.name === "KEDASCALE_QUEUE").value).toBe("burst");
    });

    it("exists only for the virtual-node workload: the Spot worker keeps workload identity and no Secret", () => {
        const secrets = run.ofType("kubernetes:core/v1:Secret").map((s) => s.inputs.metadata.name).sort();
        expect(secrets).toEqual(["burst-aci-credential", "burst-aci-pull"]);
        const worker = run.one("kubernetes:apps/v1:Deployment", "workload-worker-deployment").inputs.spec.template;
        expect(worker.metadata.labels["azure.workload.identity/use"]).toBe("true");
        expect(JSON.stringify(worker)).not.toMatch(/secretKeyRef|imagePullSecrets/);
        // No managed identity for the burst worker (no pod could use it); its load sender runs on nodes and has one.
        const identities = run.ofType("azure-native:managedidentity:UserAssignedIdentity").map((r) => r.inputs.resourceName);
        expect(identities).toContain("kedascale-dev-burst-load");
        expect(identities).not.toContain("kedascale-dev-burst");
    });

    it("is scoped to the workload's own queue: a Listen-only rule on burst, and a results SAS on the one container (read, create, write)", () => {
        const rules = run.ofType("azure-native:servicebus:QueueAuthorizationRule");
        expect(rules.map((r) => r.inputs)).toEqual([
            { resourceGroupName: "kedascale-dev-rg", namespaceName: "kedascale-dev-aci-f9d6c3", queueName: "burst", authorizationRuleName: "aci-listen", rights: ["Listen"] },
        ]);
        const cred = unwrap(secret("burst-aci-credential").inputs.stringData);
        expect(cred["connection-string"]).toMatch(/^Endpoint=sb:\/\/kedascale-dev-aci-f9d6c3\.servicebus\.windows\.net\/;SharedAccessKeyName=aci-listen;SharedAccessKey=[^;]+;EntityPath=burst$/);
        const results = cred["results-connection-string"] as string;
        expect(results).toMatch(/^BlobEndpoint=https:\/\/kedascaleacirf9d6c3\.blob\.core\.windows\.net\/;SharedAccessSignature=sv=[^;]*&sr=c&sp=rcw&se=[^&]+&spr=https&sig=/);
        // The mock signs what it was asked: the container's canonical resource, nothing wider.
        const sig = decodeURIComponent(/sig=([^&]+)/.exec(results)![1]);
        expect(Buffer.from(sig, "base64").toString()).toMatch(/^mock-sig\/\/blob\/kedascaleacirf9d6c3\/results\/rcw\//);
        // The expiry is in the future and at most 30 days away (credentialValidityDays default).
        const se = new Date(decodeURIComponent(/se=([^&]+)/.exec(results)![1])).getTime();
        expect(se).toBeGreaterThan(Date.now() + 15 * 86_400_000 - 60_000);
        expect(se).toBeLessThanOrEqual(Date.now() + 30 * 86_400_000);
    });

    it("would be refused by the policy pack without its label (the content is a real connection string)", () => {
        const s = secret("burst-aci-credential");
        const props = { ...s.inputs, stringData: unwrap(s.inputs.stringData), metadata: { ...s.inputs.metadata, labels: {} } };
        expect(checkNoConnectionStrings(s.type, props, s.name).length).toBeGreaterThan(0);
        expect(checkNoConnectionStrings(s.type, { ...props, metadata: s.inputs.metadata }, s.name)).toEqual([]);
    });
});

describe("local auth", () => {
    it("is on only for the tagged virtual-node namespace and account; every other namespace and account stays Entra-only", () => {
        const tagged = (r: RecordedResource) => r.inputs.tags?.["kedascale:localAuth"] === "virtual-nodes";
        const namespaces = run.ofType("azure-native:servicebus:Namespace");
        expect(namespaces.filter((r) => r.inputs.disableLocalAuth !== true).map((r) => r.inputs.namespaceName)).toEqual(["kedascale-dev-aci-f9d6c3"]);
        expect(namespaces.filter(tagged).map((r) => r.inputs.namespaceName)).toEqual(["kedascale-dev-aci-f9d6c3"]);
        const accounts = run.ofType("azure-native:storage:StorageAccount");
        expect(accounts.filter((r) => r.inputs.allowSharedKeyAccess !== false).map((r) => r.inputs.accountName)).toEqual(["kedascaleacirf9d6c3"]);
        expect(accounts.filter(tagged).map((r) => r.inputs.accountName)).toEqual(["kedascaleacirf9d6c3"]);
        // The virtual-node namespace holds the virtual-node queue and nothing else.
        const queues = run.ofType("azure-native:servicebus:Queue").map((r) => `${r.inputs.namespaceName}/${r.inputs.queueName}`).sort();
        expect(queues).toEqual(["kedascale-dev-aci-f9d6c3/burst", "kedascale-dev-f9d6c3/worker"]);
    });

    it("leaves KEDA on workload identity: its TriggerAuthentication is azure-workload, with Data Owner on the virtual-node queue", () => {
        const auth = run.one("kubernetes:keda.sh/v1alpha1:TriggerAuthentication", "workload-burst-trigger-auth");
        expect(auth.inputs.spec).toEqual({ podIdentity: { provider: "azure-workload" } });
        const trigger = scaledJob("burst").inputs.spec.triggers[0];
        expect(trigger.metadata).toMatchObject({ queueName: "burst", namespace: "kedascale-dev-aci-f9d6c3" });
        const queueId = byAzureName("azure-native:servicebus:Queue", "burst")!.id;
        const kedaPrincipal = fakeGuid("principal/kedascale-dev-keda");
        const grants = run.ofType("azure-native:authorization:RoleAssignment").filter((r) => r.inputs.scope === queueId);
        expect(grants.map((g) => [g.inputs.principalId, g.inputs.roleDefinitionId.split("/").pop()])).toContainEqual([kedaPrincipal, ROLES.serviceBusDataOwner]);
        // Only KEDA (metrics) and the load sender (send) hold roles on it: no worker identity exists to hold one.
        expect(grants.map((g) => g.inputs.principalId).every((p) => p === kedaPrincipal || p === fakeGuid("principal/kedascale-dev-burst-load"))).toBe(true);
    });
});

describe("the image pull", () => {
    it("uses a dockerconfigjson Secret from a token that may read the worker repository only (no admin user)", () => {
        const pod = podOf(scaledJob("burst")).spec;
        expect(pod.imagePullSecrets).toEqual([{ name: "burst-aci-pull" }]);
        const pull = secret("burst-aci-pull");
        expect(pull.inputs.type).toBe("kubernetes.io/dockerconfigjson");
        expect(pull.inputs.metadata.labels["kedascale.io/allowed-secret"]).toBe("aci-credential");
        const config = JSON.parse(unwrap(pull.inputs.stringData)[".dockerconfigjson"]);
        const registry = run.one("azure-native:containerregistry:Registry");
        // ACI's ImageRegistryCredential server has no scheme (aks-docs virtual-nodes.md).
        expect(Object.keys(config.auths)).toEqual([`${registry.inputs.registryName}.azurecr.io`]);
        expect(config.auths[`${registry.inputs.registryName}.azurecr.io`].username).toBe("kedascale-dev-burst-pull");
        expect(pod.containers[0].image.startsWith(`${registry.inputs.registryName}.azurecr.io/kedascale-worker@sha256:`)).toBe(true);
        expect(registry.inputs.adminUserEnabled).toBe(false);

        const scope = run.one("azure-native:containerregistry:ScopeMap");
        expect(scope.inputs.actions).toEqual(["repositories/kedascale-worker/content/read", "repositories/kedascale-worker/metadata/read"]);
        const token = run.one("azure-native:containerregistry:Token");
        expect(token.inputs).toMatchObject({ scopeMapId: scope.id, status: "enabled", tokenName: "kedascale-dev-burst-pull" });
        const password = run.one("pulumi-nodejs:dynamic/acr:TokenCredential");
        expect(password.inputs).toMatchObject({ tokenId: token.id, registryId: registry.id });
        expect(["password1", "password2"]).toContain(password.inputs.slot);
        // The Secret waits for both Secrets (pods would otherwise fail their first pull or credential read).
        expect(scaledJob("burst").dependsOn).toEqual(expect.arrayContaining([secret("burst-aci-credential").id, pull.id].map((id) => expect.stringContaining(id.split("/").pop()!))));
    });
});

describe("the virtual-node add-on", () => {
    it("has Network Contributor on the delegated subnet, for the connector's own identity", () => {
        const subnet = run.ofType("azure-native:network:Subnet").find((s) => s.inputs.subnetName === "virtual-nodes")!;
        expect(subnet.inputs.delegations).toEqual([{ name: "aci", serviceName: "Microsoft.ContainerInstance/containerGroups" }]);
        const grant = run.ofType("azure-native:authorization:RoleAssignment").filter((r) => r.inputs.scope === subnet.id);
        expect(grant.map((g) => [g.inputs.roleDefinitionId.split("/").pop(), g.inputs.principalId])).toEqual([[ROLES.networkContributor, fakeGuid("aci/kedascale-dev-aks")]]);
        const cluster = run.one("azure-native:containerservice:ManagedCluster");
        expect(cluster.inputs.addonProfiles.aciConnectorLinux).toEqual({ enabled: true, config: { SubnetName: "virtual-nodes" } });
    });
});
