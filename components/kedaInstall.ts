import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { KedaConfig } from "./config/workloads";
import { federatedIdentity } from "./federatedIdentity";
import { operatorLimits } from "./plan/kedaOperator";

export interface KedaInstallArgs {
    /** Resource group for KEDA's managed identity. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region. */
    location: pulumi.Input<string>;
    /** Name prefix for the identity. */
    identityName: string;
    /** Cluster OIDC issuer that the federated credential trusts. */
    oidcIssuerUrl: pulumi.Input<string>;
    /** Entra tenant of the identity. */
    tenantId: pulumi.Input<string>;
    /** Chart version, namespace and operator tuning (see KedaConfig for defaults and why). */
    config: KedaConfig;
    /** Provider of the target cluster. */
    provider: k8s.Provider;
}

/** Chart repository of kedacore/charts (FACTS §9). */
export const KEDA_CHART_REPO = "https://kedacore.github.io/charts";
/** The chart's operator ServiceAccount; workload identity federates it (FACTS §4). */
export const KEDA_OPERATOR_SA = "keda-operator";

/** Pure: the chart values, so tests check them without Pulumi. */
export function kedaChartValues(cfg: KedaConfig, identity: { clientId: string; tenantId: string }): Record<string, unknown> {
    return {
        podIdentity: { azureWorkload: { enabled: true, clientId: identity.clientId, tenantId: identity.tenantId, tokenExpiration: 3600 } },
        // Operator, metrics server and webhooks on the system pool: never Spot (evicted) nor virtual nodes (no workload identity).
        nodeSelector: { "kubernetes.azure.com/mode": "system" },
        tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }],
        // One API call per Job: the client-side rate decides how fast a burst of Jobs appears (FACTS §9, keda#3730).
        extraArgs: { keda: { "kube-api-qps": String(cfg.kubeApiQps), "kube-api-burst": String(cfg.kubeApiBurst) } },
        env: [
            { name: "KEDA_SCALEDOBJECT_CTRL_MAX_RECONCILES", value: String(cfg.scaledObjectMaxReconciles) },
            { name: "KEDA_SCALEDJOB_CTRL_MAX_RECONCILES", value: String(cfg.scaledJobMaxReconciles) },
        ],
        resources: {
            operator: { requests: { cpu: cfg.operatorResources.cpu, memory: cfg.operatorResources.memory }, limits: operatorLimits(cfg.operatorResources) },
        },
    };
}

/** KEDA by Helm release, its operator authenticated to Azure by workload identity. */
export class KedaInstall extends pulumi.ComponentResource {
    /** Delete KEDA objects before this (dependsOn): the chart deletes its CRDs with the release (FACTS §9). */
    public readonly release: k8s.helm.v3.Release;
    /** Principal of KEDA's identity: grant it read-queue-metrics. */
    public readonly principalId: pulumi.Output<string>;
    public readonly clientId: pulumi.Output<string>;

    constructor(name: string, args: KedaInstallArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:k8s:KedaInstall", name, {}, opts);
        const cfg = args.config;
        const { identity, federation } = federatedIdentity(
            name,
            { resourceGroupName: args.resourceGroupName, location: args.location, identityName: args.identityName, issuer: args.oidcIssuerUrl, namespace: cfg.namespace, serviceAccount: KEDA_OPERATOR_SA },
            this,
        );
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
        this.registerOutputs({ principalId: this.principalId, clientId: this.clientId });
    }
}
