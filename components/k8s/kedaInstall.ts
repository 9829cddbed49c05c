import type * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { federatedIdentity } from "../azure/federatedIdentity";
import { KEDA_CHART_REPO, KEDA_OPERATOR_SA, kedaChartValues, type KedaSettings } from "../plan/kedaChart";

export interface KedaInstallArgs {
    /** Resource group of KEDA's managed identity. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region of the identity. */
    location: pulumi.Input<string>;
    /** Azure name of KEDA's identity: 3–128 letters, digits, '-' and '_'. */
    identityName: pulumi.Input<string>;
    /** Cluster OIDC issuer that the federated credential trusts. */
    oidcIssuerUrl: pulumi.Input<string>;
    /** Entra tenant of the identity. */
    tenantId: pulumi.Input<string>;
    /** Provider of the target cluster, which must not run the AKS KEDA add-on (one KEDA per cluster, FACTS §4). */
    provider: k8s.Provider;
    /** kedacore/charts version, exact. 2.20.0/2.20.1 reject scalingStrategy "default" (FACTS §9). Default: 2.20.2. */
    chartVersion?: string;
    /** Namespace of the release (created by it); the operator's SA there is federated. Default: keda. */
    namespace?: string;
    /** Operator's client-side API rate, `--kube-api-qps` (one call per Job created). 1–1,000. Default: 20 (KEDA's). */
    kubeApiQps?: number;
    /** `--kube-api-burst`, ≥ kubeApiQps. 1–2,000. Default: 30 (KEDA's). */
    kubeApiBurst?: number;
    /** KEDA_SCALEDOBJECT_CTRL_MAX_RECONCILES, 1–100. Default: 5 (KEDA's). */
    scaledObjectMaxReconciles?: number;
    /** KEDA_SCALEDJOB_CTRL_MAX_RECONCILES, 1–100. Default: 1 (KEDA's). */
    scaledJobMaxReconciles?: number;
    /** Operator requests and memory limit; the CPU limit is the chart's 1 CPU, or the request when higher. Default: 100m, 256Mi, limit 1Gi. */
    operatorResources?: { cpu?: string; memory?: string; memoryLimit?: string };
}

/** KedaInstallArgs' chart settings with defaults applied (the config schema's: test/componentDefaults.test.ts). */
export function resolveKedaSettings(args: Omit<KedaInstallArgs, "resourceGroupName" | "location" | "identityName" | "oidcIssuerUrl" | "tenantId" | "provider">): KedaSettings {
    const r = args.operatorResources ?? {};
    return {
        chartVersion: args.chartVersion ?? "2.20.2",
        namespace: args.namespace ?? "keda",
        kubeApiQps: args.kubeApiQps ?? 20,
        kubeApiBurst: args.kubeApiBurst ?? 30,
        scaledObjectMaxReconciles: args.scaledObjectMaxReconciles ?? 5,
        scaledJobMaxReconciles: args.scaledJobMaxReconciles ?? 1,
        operatorResources: { cpu: r.cpu ?? "100m", memory: r.memory ?? "256Mi", memoryLimit: r.memoryLimit ?? "1Gi" },
    };
}

/** KEDA by Helm release, its operator authenticated to Azure by workload identity. */
export class KedaInstall extends pulumi.ComponentResource {
    /** KEDA's user-assigned identity: grant it read-queue-metrics on each queue it scales on. */
    public readonly identity: managedidentity.UserAssignedIdentity;
    /** Federation of the identity with `<namespace>:keda-operator`; the release waits for it. */
    public readonly federation: managedidentity.FederatedIdentityCredential;
    /** Delete KEDA objects before this (dependsOn): the chart deletes its CRDs with the release (FACTS §9). */
    public readonly release: k8s.helm.v3.Release;
    /** Namespace the operator runs in. */
    public readonly namespace: string;
    /** Principal of KEDA's identity. */
    public readonly principalId: pulumi.Output<string>;
    public readonly clientId: pulumi.Output<string>;

    constructor(name: string, args: KedaInstallArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:k8s:KedaInstall", name, {}, opts);
        const cfg = resolveKedaSettings(args);
        this.namespace = cfg.namespace;
        const { identity, federation } = federatedIdentity(
            name,
            { resourceGroupName: args.resourceGroupName, location: args.location, identityName: args.identityName, issuer: args.oidcIssuerUrl, namespace: cfg.namespace, serviceAccount: KEDA_OPERATOR_SA },
            this,
        );
        this.identity = identity;
        this.federation = federation;
        this.release = new k8s.helm.v3.Release(
            `${name}-release`,
            {
                name: "keda",
                chart: "keda",
                version: cfg.chartVersion,
                repositoryOpts: { repo: KEDA_CHART_REPO },
                namespace: cfg.namespace,
                createNamespace: true,
                atomic: true,
                timeout: 600,
                values: pulumi.all([identity.clientId, args.tenantId]).apply(([clientId, tenantId]) => kedaChartValues(cfg, { clientId, tenantId })),
            },
            // The operator's first token request must find its federated credential.
            { parent: this, provider: args.provider, dependsOn: [federation] },
        );
        this.principalId = identity.principalId;
        this.clientId = identity.clientId;
        this.registerOutputs({ identity, federation, release: this.release, principalId: this.principalId, clientId: this.clientId });
    }
}
