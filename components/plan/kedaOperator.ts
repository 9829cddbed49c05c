/** KEDA operator sizing against the Helm chart's defaults (pure, shared by kedaInstall.ts and rules/keda.ts). */
import type { KedaConfig } from "../config/workloads";

/**
 * The chart's operator limits (kedacore/charts v2.20.2 keda/values.yaml: resources.operator.limits cpu 1, memory
 * 1000Mi; requests 100m / 100Mi). Helm merges our values into these, so a limit we do not set stays the chart's.
 */
export const KEDA_CHART_OPERATOR_LIMITS = { cpu: "1", memory: "1000Mi" } as const;

/**
 * The operator's limits, always ≥ its requests: the chart's 1-CPU limit unless the request is higher, then the
 * request (a request above the merged-in default limit renders requests > limits, which the API server refuses).
 */
export function operatorLimits(res: KedaConfig["operatorResources"]): { cpu: string; memory: string } {
    const millis = (q: string) => (q.endsWith("m") ? Number(q.slice(0, -1)) : Number(q) * 1000);
    const cpu = millis(res.cpu) > millis(KEDA_CHART_OPERATOR_LIMITS.cpu) ? res.cpu : KEDA_CHART_OPERATOR_LIMITS.cpu;
    return { cpu, memory: res.memoryLimit };
}
