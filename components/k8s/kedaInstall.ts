import type * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { federatedIdentity } from "../azure/federatedIdentity";
import { KEDA_CHART_REPO, KEDA_OPERATOR_SA, kedaChartValues, type KedaSettings } from "../plan/kedaChart";

/**
 * KEDA's Azure identity. The five fields come together: give all of them (AKS: KEDA reads queue metrics by workload
 * identity) or none (a laptop cluster, where KEDA reads Azurite with a connection string: no identity, no federation,
 * no podIdentity in the chart).
 */
export interface KedaInstallArgs {
    /** Resource group of KEDA's managed identity. Default: none (no identity). */
    resourceGroupName?: pulumi.Input<string>;
    /** Azure region of the identity. Default: none. */
    location?: pulumi.Input<string>;
    /** Azure name of KEDA's identity: 3–128 letters, digits, '-' and '_'. Default: none. */
    identityName?: pulumi.Input<string>;
    /** Cluster OIDC issuer that the federated credential trusts. Default: none. */
    oidcIssuerUrl?: pulumi.Input<string>;
    /** Entra tenant of the identity. Default: none. */
    tenantId?: pulumi.Input<string>;
    /** Pin KEDA's pods to the AKS system pool (nodeSelector kubernetes.azure.com/mode=system). Default: true; false on a non-AKS cluster. */
    aksSystemPool?: boolean;
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
export function resolveKedaSettings(args: Omit<KedaInstallArgs, "resourceGroupName" | "location" | "identityName" | "oidcIssuerUrl" | "tenantId" | "provider" | "aksSystemPool">): KedaSettings {
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

/** KEDA by Helm release, its operator authenticated to Azure by workload identity (or, without identity args, not at all). */
export class KedaInstall extends pulumi.ComponentResource {
    /** KEDA's user-assigned identity: grant it read-queue-metrics on each queue it scales on. Undefined without identity args. */
    public readonly identity?: managedidentity.UserAssignedIdentity;
    /** Federation of the identity with `<namespace>:keda-operator`; the release waits for it. Undefined without identity args. */
    public readonly federation?: managedidentity.FederatedIdentityCredential;
    /** Delete KEDA objects before this (dependsOn): the chart deletes its CRDs with the release (FACTS §9). */
    public readonly release: k8s.helm.v3.Release;
    /** Namespace the operator runs in. */
    public readonly namespace: string;
    /** Principal of KEDA's identity. Undefined without identity args. */
    public readonly principalId?: pulumi.Output<string>;
    public readonly clientId?: pulumi.Output<string>;

    constructor(name: string, args: KedaInstallArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:k8s:KedaInstall", name, {}, opts);
        const cfg = resolveKedaSettings(args);
        this.namespace = cfg.namespace;
        const given = [args.resourceGroupName, args.location, args.identityName, args.oidcIssuerUrl, args.tenantId].filter((v) => v !== undefined).length;
        if (given !== 0 && given !== 5) throw new Error(`KedaInstall ${name}: give all of resourceGroupName, location, identityName, oidcIssuerUrl and tenantId (workload identity) or none (no Azure identity)`);
        const wi =
            given === 5
                ? federatedIdentity(
                      name,
                      { resourceGroupName: args.resourceGroupName!, location: args.location!, identityName: args.identityName!, issuer: args.oidcIssuerUrl!, namespace: cfg.namespace, serviceAccount: KEDA_OPERATOR_SA },
                      this,
                  )
                : undefined;
        this.identity = wi?.identity;
        this.federation = wi?.federation;
        const aksSystemPool = args.aksSystemPool ?? true;
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
                values: wi
                    ? pulumi.all([wi.identity.clientId, args.tenantId!]).apply(([clientId, tenantId]) => kedaChartValues(cfg, { clientId, tenantId }, aksSystemPool))
                    : kedaChartValues(cfg, undefined, aksSystemPool),
            },
            // The operator's first token request must find its federated credential.
            { parent: this, provider: args.provider, dependsOn: wi ? [wi.federation] : [] },
        );
        this.principalId = wi?.identity.principalId;
        this.clientId = wi?.identity.clientId;
        this.registerOutputs({ identity: this.identity, federation: this.federation, release: this.release, principalId: this.principalId, clientId: this.clientId });
    }
}
