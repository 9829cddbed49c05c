/**
 * Names of the Azure Container Apps resources, derived from config in one place (like names.ts for the rest), with
 * the rules their services apply. The ACA preflight (config/rules/containerApps.ts) checks every one.
 *
 * Rules (azure-resource-manager/management/resource-name-rules.md, Microsoft.App and Microsoft.OperationalInsights;
 * recalled, re-check when they change): container apps and jobs 2–32 lowercase letters, digits and '-', starting
 * with a letter, ending alphanumeric, no '--'; managed environments 2–60 letters, digits and '-', starting with a
 * letter, ending alphanumeric; Log Analytics workspaces 4–63 letters, digits and '-', starting and ending
 * alphanumeric. All are unique per resource group (the stack's own).
 */
import type { NameRule } from "./naming";

export const ACA_NAME_RULES = {
    containerAppsJob: { min: 2, max: 32, pattern: /^[a-z](?!.*--)[-a-z0-9]*[a-z0-9]$/, describe: "2–32 lowercase letters, digits and single '-', starting with a letter, ending alphanumeric" },
    managedEnvironment: { min: 2, max: 60, pattern: /^[A-Za-z][-A-Za-z0-9]*[A-Za-z0-9]$/, describe: "2–60 letters, digits and '-', starting with a letter, ending alphanumeric" },
    logAnalyticsWorkspace: { min: 4, max: 63, pattern: /^[A-Za-z0-9][-A-Za-z0-9]*[A-Za-z0-9]$/, describe: "4–63 letters, digits and '-', starting and ending alphanumeric" },
} as const satisfies Record<string, NameRule>;
export type AcaNameKind = keyof typeof ACA_NAME_RULES;

export const containerAppsEnvironmentName = (base: string): string => `${base}-aca`;
export const logAnalyticsWorkspaceName = (base: string): string => `${base}-logs`;
/** The job is named after the workload: its executions (`<job>-<suffix>`) and logs then say which workload ran. */
export const containerAppsJobName = (workload: string): string => workload;
/** Identity the worker runs as (AcrPull, receive, write results). Same Azure name an AKS workload's identity has. */
export const acaWorkerIdentityName = (base: string, workload: string): string => `${base}-${workload}`;
/** Identity only the scale rule uses (read queue metrics); never handed to the container. */
export const acaScalerIdentityName = (base: string, workload: string): string => `${base}-${workload}-scaler`;
export const ACA_SUBNET = "container-apps";
export const containerAppsPulumiName = (workload: string): string => `aca-${workload}`;

/** Where a name breaks its rule, in words; undefined when it is fine. */
export function acaNameViolation(kind: AcaNameKind, name: string): string | undefined {
    const r = ACA_NAME_RULES[kind];
    if (name.length < r.min || name.length > r.max) return `is ${name.length} characters, outside ${r.min}–${r.max}`;
    if (!r.pattern.test(name)) return "has characters or a shape the service refuses";
    return undefined;
}
