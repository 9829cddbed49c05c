/**
 * Storage accounts are Entra-only and TLS ≥ 1.2. `allowSharedKeyAccess` defaults to allowed when unset (ARM
 * treats null as true), so it must be an explicit false; the virtual-node account (a queue SAS is signed with the
 * account key, FACTS §1) is the documented exception, tagged `kedascale:localAuth: virtual-nodes`.
 * `minimumTlsVersion` must be TLS1_2 or TLS1_3 (azure-native v3 enum MinimumTlsVersion), for every account.
 */
import { LOCAL_AUTH_TAG, LOCAL_AUTH_TAG_VALUE, displayName, hasLocalAuthException, isAzureType, resourcePolicy, type Props } from "./common";

const ACCEPTED_TLS = ["TLS1_2", "TLS1_3"];

export function checkStorageAccountAuth(type: string, props: Props, name: string): string[] {
    if (!isAzureType(type, "storage", "StorageAccount")) return [];
    const account = displayName(props, "accountName", name);
    const out: string[] = [];
    if (props.allowSharedKeyAccess !== false && !hasLocalAuthException(props)) {
        out.push(
            `storage account ${account} allows shared-key access (allowSharedKeyAccess: ${String(props.allowSharedKeyAccess)}); ` +
                `set allowSharedKeyAccess: false, or tag the virtual-node account ${LOCAL_AUTH_TAG}: ${LOCAL_AUTH_TAG_VALUE}`,
        );
    }
    if (!ACCEPTED_TLS.includes(props.minimumTlsVersion)) {
        out.push(`storage account ${account} accepts TLS below 1.2 (minimumTlsVersion: ${String(props.minimumTlsVersion)}); set minimumTlsVersion: "TLS1_2"`);
    }
    return out;
}

export const storageAccountAuthPolicy = resourcePolicy(
    "kedascale-storage-no-shared-key-tls12",
    `Storage accounts must set allowSharedKeyAccess: false (except one tagged ${LOCAL_AUTH_TAG}: ${LOCAL_AUTH_TAG_VALUE}) and minimumTlsVersion TLS1_2 or later.`,
    checkStorageAccountAuth,
);
