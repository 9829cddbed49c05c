/**
 * Rule 7: no credentials in config. kedascale is secretless (workload identity + RBAC); a connection string,
 * account key or SAS pasted into stack config would land in state and in git, as it does in the seeds.
 */
import { error, type Problem } from "./problem";

const PATTERNS: [RegExp, string][] = [
    [/AccountKey=/i, "a storage connection string (AccountKey=)"],
    [/SharedAccessKey(Name)?=/i, "a Service Bus connection string (SharedAccessKey=)"],
    [/SharedAccessSignature=|[?&]sig=[A-Za-z0-9%+/=]{10,}/i, "a SAS token (sig=)"],
    [/DefaultEndpointsProtocol=/i, "a storage connection string"],
    [/^Endpoint=sb:\/\//i, "a Service Bus connection string"],
    [/^[A-Za-z0-9+/]{86}==$/, "a storage account key (88 base64 characters)"],
    [/^[A-Za-z0-9+/]{43}=$/, "a Service Bus SAS key (44 base64 characters)"],
    [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a private key"],
];

/** Walks every string in the raw (unparsed) config, so even a misspelt key cannot smuggle a secret. */
export function secretRules(raw: Record<string, unknown>): Problem[] {
    const problems: Problem[] = [];
    const visit = (value: unknown, path: string): void => {
        if (typeof value === "string") {
            const hit = PATTERNS.find(([re]) => re.test(value));
            if (hit) {
                problems.push(
                    error([path], `the value looks like ${hit[1]} (shown redacted: "${value.slice(0, 6)}…")`, `remove it: kedascale authenticates with workload identity and Azure RBAC; for a credential a tool truly needs, use \`pulumi config set --secret\` on a key the program reads as a secret`),
                );
            }
        } else if (Array.isArray(value)) {
            value.forEach((v, i) => visit(v, `${path}[${i}]`));
        } else if (value && typeof value === "object") {
            for (const [k, v] of Object.entries(value)) visit(v, `${path}.${k}`);
        }
    };
    for (const [k, v] of Object.entries(raw)) visit(v, k);
    return problems;
}
