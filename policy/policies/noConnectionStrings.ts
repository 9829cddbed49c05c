/**
 * No connection string, account key or SAS in any Kubernetes object: kedascale is secretless (workload identity
 * + RBAC). The only exceptions are Secrets that declare their purpose with the label
 * `kedascale.io/allowed-secret: aci-credential | azurite` (virtual-node pods cannot use workload identity, FACTS §1;
 * Azurite runs take a connection string). Secret `data` is base64, so it is decoded before scanning. Messages
 * name the property path, never the value.
 */
import { ALLOWED_SECRET_LABEL, ALLOWED_SECRET_PURPOSES, resourcePolicy, type Props } from "./common";

/** Markers of Azure connection strings and SAS tokens (Storage and Service Bus formats). */
const SECRET_MARKERS: { what: string; pattern: RegExp }[] = [
    { what: "a storage account key (AccountKey=)", pattern: /AccountKey\s*=/i },
    { what: "a Service Bus SAS key (SharedAccessKey=)", pattern: /SharedAccessKey\s*=/i },
    { what: "a SAS token (SharedAccessSignature=)", pattern: /SharedAccessSignature\s*=/i },
    { what: "a SAS signature (sig=)", pattern: /[?&]sig=[^&\s]+/ },
    { what: "a storage connection string (DefaultEndpointsProtocol=)", pattern: /DefaultEndpointsProtocol\s*=/i },
    { what: "a Service Bus connection string (Endpoint=sb://)", pattern: /Endpoint\s*=\s*sb:\/\//i },
    { what: "an Azurite connection string (UseDevelopmentStorage=true)", pattern: /UseDevelopmentStorage\s*=\s*true/i },
];

function* strings(value: unknown, path: string): Generator<[string, string]> {
    if (typeof value === "string") yield [path, value];
    else if (Array.isArray(value)) for (let i = 0; i < value.length; i++) yield* strings(value[i], `${path}[${i}]`);
    else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) yield* strings(v, path ? `${path}.${k}` : k);
}

function decodeBase64(s: string): string | undefined {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s) || s.length % 4 !== 0) return undefined;
    return Buffer.from(s, "base64").toString("utf8");
}

function isSecret(type: string): boolean {
    return type === "kubernetes:core/v1:Secret";
}

export function isAllowedSecret(type: string, props: Props): boolean {
    const purpose = props.metadata?.labels?.[ALLOWED_SECRET_LABEL];
    return isSecret(type) && (ALLOWED_SECRET_PURPOSES as readonly string[]).includes(purpose);
}

export function checkNoConnectionStrings(type: string, props: Props, name: string): string[] {
    if (!type.startsWith("kubernetes:") || isAllowedSecret(type, props)) return [];
    const found: string[] = [];
    for (const [path, text] of strings(props, "")) {
        const decoded = isSecret(type) && path.startsWith("data.") ? decodeBase64(text) : undefined;
        for (const candidate of decoded === undefined ? [text] : [text, decoded]) {
            const marker = SECRET_MARKERS.find((m) => m.pattern.test(candidate));
            if (marker) {
                found.push(
                    `${type.replace(/^kubernetes:/, "")} ${String(props.metadata?.name ?? name)}: ${path} holds ${marker.what}; use workload identity, ` +
                        `or put it in a Secret labelled ${ALLOWED_SECRET_LABEL}: ${ALLOWED_SECRET_PURPOSES.join(" | ")}`,
                );
                break;
            }
        }
    }
    return found;
}

export const noConnectionStringsPolicy = resourcePolicy(
    "kedascale-k8s-no-connection-strings",
    `Kubernetes objects must not contain connection strings, account keys or SAS tokens, except Secrets labelled ${ALLOWED_SECRET_LABEL}.`,
    checkNoConnectionStrings,
);
