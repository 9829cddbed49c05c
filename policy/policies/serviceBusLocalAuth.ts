/**
 * Service Bus namespaces are Entra-only: `disableLocalAuth: true` turns SAS keys off (FACTS §6), so no connection
 * string can reach the namespace. ARM's default is false (SAS on), so the value must be explicit. The one
 * exception is the namespace serving virtual-node (ACI) workloads, which cannot use workload identity (FACTS §1):
 * it must say so with the tag `kedascale:localAuth: virtual-nodes`.
 */
import { LOCAL_AUTH_TAG, LOCAL_AUTH_TAG_VALUE, displayName, hasLocalAuthException, isAzureType, resourcePolicy, type Props } from "./common";

export function checkServiceBusLocalAuth(type: string, props: Props, name: string): string[] {
    if (!isAzureType(type, "servicebus", "Namespace")) return [];
    if (props.disableLocalAuth === true || hasLocalAuthException(props)) return [];
    return [
        `Service Bus namespace ${displayName(props, "namespaceName", name)} allows SAS (local) auth (disableLocalAuth: ${String(props.disableLocalAuth)}); ` +
            `set disableLocalAuth: true, or tag the virtual-node namespace ${LOCAL_AUTH_TAG}: ${LOCAL_AUTH_TAG_VALUE}`,
    ];
}

export const serviceBusLocalAuthPolicy = resourcePolicy(
    "kedascale-servicebus-no-local-auth",
    `Service Bus namespaces must set disableLocalAuth: true (except one tagged ${LOCAL_AUTH_TAG}: ${LOCAL_AUTH_TAG_VALUE} for virtual nodes).`,
    checkServiceBusLocalAuth,
);
