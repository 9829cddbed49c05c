/**
 * Every AKS cluster runs workload identity: the OIDC issuer and the workload-identity webhook are both required
 * for pods (KEDA, the workers) to exchange their service-account token for an Entra token (FACTS §4). Neither is
 * on by default, so both must be explicit.
 */
import { isAzureType, resourcePolicy, type Props } from "./common";

export function checkWorkloadIdentity(type: string, props: Props, name: string): string[] {
    if (!isAzureType(type, "containerservice", "ManagedCluster")) return [];
    const cluster = typeof props.resourceName === "string" ? props.resourceName : name;
    const out: string[] = [];
    if (props.oidcIssuerProfile?.enabled !== true) {
        out.push(`AKS cluster ${cluster} has no OIDC issuer (oidcIssuerProfile.enabled: ${String(props.oidcIssuerProfile?.enabled)}); set oidcIssuerProfile: { enabled: true }`);
    }
    if (props.securityProfile?.workloadIdentity?.enabled !== true) {
        out.push(
            `AKS cluster ${cluster} has workload identity off (securityProfile.workloadIdentity.enabled: ${String(props.securityProfile?.workloadIdentity?.enabled)}); ` +
                "set securityProfile: { workloadIdentity: { enabled: true } }",
        );
    }
    return out;
}

export const workloadIdentityPolicy = resourcePolicy(
    "kedascale-aks-workload-identity",
    "AKS clusters must enable the OIDC issuer and workload identity.",
    checkWorkloadIdentity,
);
