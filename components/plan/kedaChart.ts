/** KEDA's Helm chart: where it comes from and the values kedascale renders (pure, so tests check them without Pulumi). */
import type { KedaConfig } from "../config/workloads";
import { operatorLimits } from "./kedaOperator";

/** KEDA's settings with every default applied: what the config schema yields and what KedaInstall resolves its args to. */
export type KedaSettings = KedaConfig;

/** Chart repository of kedacore/charts (FACTS §9). */
export const KEDA_CHART_REPO = "https://kedacore.github.io/charts";
/** The chart's operator ServiceAccount; workload identity federates it (FACTS §4). */
export const KEDA_OPERATOR_SA = "keda-operator";

/**
 * The chart values for KEDA's operator, authenticated to Azure as `identity` by workload identity; with `identity`
 * undefined (a laptop cluster: Azurite by connection string) no podIdentity at all, and with `aksSystemPool` false no
 * AKS node selector (a kind/k3d node has no kubernetes.azure.com/mode label: the pods would stay Pending).
 */
export function kedaChartValues(cfg: KedaSettings, identity: { clientId: string; tenantId: string } | undefined, aksSystemPool = true): Record<string, unknown> {
    return {
        ...(identity ? { podIdentity: { azureWorkload: { enabled: true, clientId: identity.clientId, tenantId: identity.tenantId, tokenExpiration: 3600 } } } : {}),
        // Operator, metrics server and webhooks on the system pool: never Spot (evicted) nor virtual nodes (no workload identity).
        ...(aksSystemPool ? { nodeSelector: { "kubernetes.azure.com/mode": "system" }, tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }] } : {}),
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
