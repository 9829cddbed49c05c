/**
 * Read-time checks of an existing AKS cluster (bring your own cluster), pure: what the cluster must have for
 * kedascale's KEDA and workloads to work, each failure with the `az` command that fixes it.
 *  - OIDC issuer and workload identity: every federated credential trusts the issuer URL, and the webhook injects the
 *    token into pods (FACTS §4); `az aks update --enable-oidc-issuer --enable-workload-identity` turns both on
 *    (aks-docs workload-identity-deploy-cluster.md, use-oidc-issuer.md; the issuer is on by default only for clusters
 *    created at 1.34 or later).
 *  - The AKS managed KEDA add-on (`workloadAutoScalerProfile.keda.enabled`) and a Helm-installed KEDA cannot run in one
 *    cluster (aks-docs keda-about.md; FACTS §4): refuse to install ours; `az aks update --disable-keda` removes the add-on.
 *  - The kubelet identity (`identityProfile.kubeletidentity.objectId`) is what AcrPull is granted to (FACTS §5).
 *  - Entra ID integration (`aadProfile.managed`): the kubeconfig runs kubelogin, which must be on PATH and must sign in
 *    without a browser (kubeloginMode, nonInteractiveKubeconfig).
 *  - Kubernetes-side, read by the preflight resource at preview (azure/clusterPreflight.ts): another external metrics
 *    server (a KEDA or adapter installed by Helm, which ARM cannot show), and the deployer's right to create what KEDA's
 *    chart creates (with `aadProfile.enableAzureRBAC`, granted by an Azure role assignment) (kubernetesProblems).
 */

import { NATIVE_SIDECAR_MINOR } from "../limits/platform";

/** The fields of a GET managedCluster (azure-native getManagedCluster) the checks read. */
export interface ClusterFacts {
    readonly name?: string;
    readonly kubernetesVersion?: string;
    readonly oidcIssuerProfile?: { readonly enabled?: boolean; readonly issuerURL?: string };
    readonly securityProfile?: { readonly workloadIdentity?: { readonly enabled?: boolean } };
    readonly workloadAutoScalerProfile?: { readonly keda?: { readonly enabled: boolean } };
    readonly identityProfile?: { readonly [key: string]: { readonly objectId?: string; readonly clientId?: string } };
    readonly agentPoolProfiles?: readonly { readonly name: string; readonly mode?: string; readonly scaleSetPriority?: string }[];
    /** AKS-managed Entra ID integration; `enableAzureRBAC`: Kubernetes authorization by Azure role assignments. */
    readonly aadProfile?: { readonly managed?: boolean; readonly enableAzureRBAC?: boolean };
    readonly id?: string;
}

export interface ExistingClusterRef {
    readonly resourceGroupName: string;
    readonly clusterName: string;
    /** Only when it is not the deployer's default subscription. */
    readonly subscriptionId?: string;
}

/** What the deployment will put in the cluster, so the checks ask only for what it needs. */
export interface ClusterNeeds {
    /** kedascale installs KEDA by Helm (then the AKS KEDA add-on must be off). */
    readonly helmKeda: boolean;
    /** Some workload requires Spot nodes (placement spot, affinity required). */
    readonly spotPool: boolean;
    /** Workloads whose Jobs run an http handler as a native sidecar (Kubernetes ≥ 1.29, plan/handler.ts). Default: none. */
    readonly nativeSidecars?: readonly string[];
}

/** The `az aks update` command for this cluster with the given flags. */
export function azAksUpdate(ref: ExistingClusterRef, ...flags: string[]): string {
    const subscription = ref.subscriptionId ? ` --subscription ${ref.subscriptionId}` : "";
    return `az aks update --resource-group ${ref.resourceGroupName} --name ${ref.clusterName}${subscription} ${flags.join(" ")}`;
}

/** Every reason kedascale cannot deploy into this cluster as it is; empty when it can. */
export function existingClusterProblems(c: ClusterFacts, ref: ExistingClusterRef, needs: ClusterNeeds): string[] {
    const where = `the existing AKS cluster ${ref.resourceGroupName}/${ref.clusterName}`;
    const problems: string[] = [];
    const oidc = c.oidcIssuerProfile?.enabled === true;
    const workloadIdentity = c.securityProfile?.workloadIdentity?.enabled === true;
    if (!oidc || !workloadIdentity) {
        const off = [...(oidc ? [] : ["the OIDC issuer"]), ...(workloadIdentity ? [] : ["workload identity"])].join(" and ");
        const flags = [...(oidc ? [] : ["--enable-oidc-issuer"]), ...(workloadIdentity ? [] : ["--enable-workload-identity"])];
        problems.push(
            `${where} has ${off} off (oidcIssuerProfile.enabled / securityProfile.workloadIdentity.enabled): KEDA and the workers authenticate to Azure ` +
                `only through federated credentials that trust the cluster's OIDC issuer, with tokens the workload identity webhook injects. ` +
                `Fix: ${azAksUpdate(ref, ...flags)}`,
        );
    } else if (!c.oidcIssuerProfile?.issuerURL) {
        problems.push(`${where} has the OIDC issuer on but AKS returned no issuer URL (oidcIssuerProfile.issuerURL). Fix: wait for the cluster's update to finish (az aks show --query provisioningState), then run again`);
    }
    if (needs.helmKeda && c.workloadAutoScalerProfile?.keda?.enabled === true) {
        problems.push(
            `${where} runs the AKS managed KEDA add-on (workloadAutoScalerProfile.keda.enabled), and only one KEDA may run in a cluster, so kedascale will not install its own KEDA by Helm. ` +
                `Fix: ${azAksUpdate(ref, "--disable-keda")} (ScaledObjects of the add-on stop scaling until kedascale's KEDA runs), or deploy into a cluster without the add-on`,
        );
    }
    if (!c.identityProfile?.kubeletidentity?.objectId) {
        problems.push(`${where} has no kubelet managed identity (identityProfile.kubeletidentity), so it cannot be granted AcrPull on the registry. Fix: ${azAksUpdate(ref, "--enable-managed-identity")}`);
    }
    if (needs.spotPool && !(c.agentPoolProfiles ?? []).some((p) => p.scaleSetPriority === "Spot")) {
        const pools = (c.agentPoolProfiles ?? []).map((p) => p.name).join(", ") || "none";
        problems.push(
            `${where} has no Spot node pool (pools: ${pools}), but a workload requires Spot nodes; its pods would stay Pending. ` +
                `Fix: az aks nodepool add --resource-group ${ref.resourceGroupName} --cluster-name ${ref.clusterName}${ref.subscriptionId ? ` --subscription ${ref.subscriptionId}` : ""} --name spot --priority Spot --eviction-policy Delete --spot-max-price -1 --enable-cluster-autoscaler --min-count 0 --max-count 5, or place the workload elsewhere`,
        );
    }
    const minor = Number(/^1\.(\d+)/.exec(c.kubernetesVersion ?? "")?.[1]);
    if ((needs.nativeSidecars ?? []).length > 0 && Number.isFinite(minor) && minor < NATIVE_SIDECAR_MINOR) {
        problems.push(
            `${where} runs Kubernetes ${c.kubernetesVersion}, but workload(s) ${needs.nativeSidecars!.join(", ")} run an http handler as a native sidecar (an init container with restartPolicy: Always), on by default only from Kubernetes 1.${NATIVE_SIDECAR_MINOR}; before that the handler would block the Job's worker forever. ` +
                `Fix: ${azAksUpdate(ref, "--kubernetes-version <1.29 or later>")} (az aks get-upgrades lists the versions), or use handler.exec, or kind deployment`,
        );
    }
    return problems;
}

/** Thrown at read time when the cluster cannot host kedascale; lists every problem at once. */
export class ExistingClusterError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`kedascale cannot deploy into the existing cluster (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "ExistingClusterError";
    }
}

/**
 * How kubelogin signs in without a person at the keyboard. The user kubeconfig AKS returns for an Entra ID cluster
 * execs `kubelogin get-token --login devicecode` ("format 'exec' will return exec format kubeconfig, which requires
 * kubelogin binary in the path": azure-native listManagedClusterUserCredentials), which prints a code and waits for a
 * browser sign-in, so an unattended preview hangs. kubelogin's non-interactive modes (Azure/kubelogin README, "Login
 * modes"; what `kubelogin convert-kubeconfig -l <mode>` writes):
 *  - azurecli: the token of the deployer's `az login`;
 *  - workloadidentity: a federated token from AZURE_FEDERATED_TOKEN_FILE, for AZURE_CLIENT_ID in AZURE_TENANT_ID —
 *    what Pulumi Deployments' Azure OIDC provides as ARM_CLIENT_ID, ARM_TENANT_ID and its token file
 *    (deployerCredential.ts).
 */
export type KubeloginMode =
    | { readonly login: "azurecli" }
    | { readonly login: "workloadidentity"; readonly env: Readonly<Record<string, string>> };

/** What decides the kubelogin mode: the login the deployer runs with (deployerCredential.ts deployerCredentialSource). */
export interface DeployerLogin {
    readonly source: "armOidc" | "deploymentsOidc" | "default";
    readonly env: Readonly<Record<string, string | undefined>>;
    /** Pulumi Deployments' OIDC token file, when it exists. */
    readonly deploymentsTokenFile?: string;
    /** Whether `kubelogin` is on PATH. */
    readonly kubeloginOnPath: boolean;
}

/** The non-interactive kubelogin mode for this login, or why there is none (a problem with its fix). */
export function kubeloginMode(login: DeployerLogin): KubeloginMode | { readonly problem: string } {
    const e = login.env;
    if (e.AZURE_FEDERATED_TOKEN_FILE && e.AZURE_CLIENT_ID && e.AZURE_TENANT_ID) return { login: "workloadidentity", env: {} }; // kubelogin reads these itself
    if (login.source === "deploymentsOidc") {
        if (!login.deploymentsTokenFile || !e.ARM_CLIENT_ID || !e.ARM_TENANT_ID) {
            return { problem: "Pulumi Deployments' Azure OIDC gave no token file for kubelogin. Fix: keep operationContext.oidc.azure on the stack's deployment settings (Deployments then writes /mnt/pulumi/pulumi.oidc and sets ARM_CLIENT_ID, ARM_TENANT_ID)" };
        }
        return { login: "workloadidentity", env: { AZURE_CLIENT_ID: e.ARM_CLIENT_ID, AZURE_TENANT_ID: e.ARM_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE: login.deploymentsTokenFile } };
    }
    if (login.source === "armOidc") {
        return {
            problem:
                "the deployer signs in with an OIDC token in ARM_OIDC_TOKEN (ESC azure-login), which kubelogin cannot read. Fix: also export the token as a file with AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID and AZURE_TENANT_ID (ESC: a `files:` entry), or run with az login",
        };
    }
    return { login: "azurecli" };
}

/** Entra ID integration: what would stop an unattended run, with the fix; empty when nothing would. */
export function entraProblems(c: ClusterFacts, ref: ExistingClusterRef, login: DeployerLogin): string[] {
    if (c.aadProfile?.managed !== true) return [];
    const where = `the existing AKS cluster ${ref.resourceGroupName}/${ref.clusterName}`;
    const problems: string[] = [];
    if (!login.kubeloginOnPath) {
        problems.push(
            `${where} uses Entra ID integration (aadProfile.managed), so its kubeconfig runs kubelogin to get a token, and kubelogin is not on PATH where Pulumi runs. ` +
                `Fix: az aks install-cli (installs kubectl and kubelogin), or add kubelogin from https://github.com/Azure/kubelogin/releases to PATH`,
        );
    }
    const mode = kubeloginMode(login);
    if ("problem" in mode) problems.push(`${where} uses Entra ID integration, and ${mode.problem}`);
    return problems;
}

/**
 * The user kubeconfig with every kubelogin exec switched to a non-interactive login (what `kubelogin
 * convert-kubeconfig -l <mode>` does): `get-token --login <mode> --server-id <the cluster's server id>`, plus the
 * environment workloadidentity needs. Other users (client certificates, a non-Entra cluster) are left alone.
 */
export function nonInteractiveKubeconfig(kubeconfig: KubeconfigShape, mode: KubeloginMode): KubeconfigShape {
    return {
        ...kubeconfig,
        users: (kubeconfig.users ?? []).map((u) => {
            const exec = u.user?.exec;
            if (!exec || !/(^|\/)kubelogin(\.exe)?$/.test(exec.command ?? "")) return u;
            const args = exec.args ?? [];
            const at = args.indexOf("--server-id");
            const serverId = at >= 0 ? args[at + 1] : undefined;
            const extra: Readonly<Record<string, string>> = mode.login === "workloadidentity" ? mode.env : {};
            const env = Object.entries(extra).map(([name, value]) => ({ name, value }));
            return {
                ...u,
                user: {
                    ...u.user,
                    exec: {
                        ...exec,
                        args: ["get-token", "--login", mode.login, ...(serverId ? ["--server-id", serverId] : [])],
                        ...(env.length > 0 ? { env: [...(exec.env ?? []).filter((v) => !(v.name in extra)), ...env] } : {}),
                        interactiveMode: "Never",
                    },
                },
            };
        }),
    };
}

/** The parts of a kubeconfig nonInteractiveKubeconfig reads (kubeconfig v1, as AKS returns it). */
export interface KubeconfigShape {
    readonly users?: readonly {
        readonly name: string;
        readonly user?: { readonly exec?: { readonly command?: string; readonly args?: readonly string[]; readonly env?: readonly { name: string; value: string }[]; readonly [k: string]: unknown }; readonly [k: string]: unknown };
    }[];
    readonly [k: string]: unknown;
}

/** What kedascale applies to an existing cluster needs cluster-wide rights: KEDA's chart creates these (kedacore/charts keda templates). */
export const REQUIRED_ACCESS: readonly { readonly group: string; readonly resource: string; readonly verb: string }[] = [
    { group: "apiextensions.k8s.io", resource: "customresourcedefinitions", verb: "create" },
    { group: "rbac.authorization.k8s.io", resource: "clusterroles", verb: "create" },
    { group: "rbac.authorization.k8s.io", resource: "clusterrolebindings", verb: "create" },
    { group: "apiregistration.k8s.io", resource: "apiservices", verb: "create" },
    { group: "admissionregistration.k8s.io", resource: "validatingwebhookconfigurations", verb: "create" },
    { group: "", resource: "namespaces", verb: "create" },
];

/** The external metrics API a metrics adapter (KEDA's metrics server, prometheus-adapter, …) registers; only one may. */
export const EXTERNAL_METRICS_APISERVICE = "v1beta1.external.metrics.k8s.io";

/** What the Kubernetes-side preflight learnt from the cluster (azure/clusterProbe.ts). */
export interface KubernetesFacts {
    /** The APIService, when one exists: the Service behind it and Helm's ownership annotations. */
    readonly externalMetrics?: { readonly service?: { readonly namespace?: string; readonly name?: string }; readonly annotations?: Readonly<Record<string, string>>; readonly labels?: Readonly<Record<string, string>> };
    /** SelfSubjectAccessReview answers for REQUIRED_ACCESS, in order. */
    readonly access: readonly boolean[];
}

/** Every reason the deployer cannot install kedascale's KEDA and workloads into the cluster as it is. */
export function kubernetesProblems(k: KubernetesFacts, ref: ExistingClusterRef & { readonly clusterId?: string }, ours: { readonly release: string; readonly namespace: string; readonly azureRbac: boolean }): string[] {
    const where = `the existing AKS cluster ${ref.resourceGroupName}/${ref.clusterName}`;
    const problems: string[] = [];
    const m = k.externalMetrics;
    if (m) {
        const release = m.annotations?.["meta.helm.sh/release-name"];
        const releaseNs = m.annotations?.["meta.helm.sh/release-namespace"];
        if (release !== ours.release || releaseNs !== ours.namespace) {
            const owner = release ? `Helm release ${releaseNs ?? "?"}/${release}` : `${m.service?.namespace ?? "?"}/${m.service?.name ?? "?"} (not from a Helm release kedascale owns)`;
            problems.push(
                `${where} already serves the external metrics API (APIService ${EXTERNAL_METRICS_APISERVICE}, served by ${m.service?.namespace ?? "?"}/${m.service?.name ?? "?"}, from ${owner}): a KEDA or another metrics adapter runs there, only one can serve that API, and KEDA's chart would fail to take it over. ` +
                    `Fix: ${release ? `helm uninstall ${release} --namespace ${releaseNs}` : `remove that adapter`} (its ScaledObjects stop scaling until kedascale's KEDA runs), or deploy into a cluster without one`,
            );
        }
    }
    const missing = REQUIRED_ACCESS.filter((_, i) => k.access[i] === false);
    if (missing.length > 0) {
        const what = missing.map((a) => `${a.verb} ${a.group ? `${a.resource}.${a.group}` : a.resource}`).join(", ");
        const fix = ours.azureRbac
            ? `az role assignment create --assignee <the deployer's object id> --role "Azure Kubernetes Service RBAC Cluster Admin" --scope ${ref.clusterId ?? `<the cluster's resource id>`} (this cluster authorizes Kubernetes by Azure RBAC; allow a few minutes for it to propagate)`
            : `kubectl create clusterrolebinding kedascale-deployer --clusterrole cluster-admin --user <the deployer's object id or name>, or deploy with an identity that has cluster-admin`;
        problems.push(`the deployer may not ${what} in ${where}, which installing KEDA needs. Fix: ${fix}`);
    }
    return problems;
}
