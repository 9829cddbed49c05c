/**
 * Turns what the Azure SDKs throw (RestError 404/403 with a storage error code, socket errors, "Invalid URL" from a
 * malformed connection string, Service Bus error codes, identity errors) into one sentence naming the queue,
 * container, account or endpoint involved, plus the fix: which role to grant, which flag to set, what to create.
 * Class names are never shown: the bundle is minified, so `e.name` of our own classes is meaningless there.
 */

/** What a command was touching when it failed. */
export interface Target {
    readonly what: "queue" | "poison queue" | "results container" | "Service Bus queue";
    readonly name: string;
    /** Storage account or Service Bus namespace. */
    readonly host: string;
    readonly hostKind: "storage account" | "Service Bus namespace";
    /** Where requests went, e.g. https://acct.queue.core.windows.net or http://127.0.0.1:10001/devstoreaccount1. */
    readonly endpoint: string;
    readonly auth: "connection string" | "identity";
    /** The flag (and variable) that names this resource, to point the user at. */
    readonly nameFlag: string;
    /** The built-in role this command needs on it, when it authenticates with an Entra identity. */
    readonly role: string;
    /** How to create it, e.g. the `az` command or the stack that does. */
    readonly create: string;
}

/** A failure explained for a person: `message` says what, `fix` says what to do. */
export class CliError extends Error {
    constructor(
        message: string,
        readonly fix: string,
        readonly fields: Record<string, unknown> = {},
    ) {
        super(message);
        // A literal: the minifier renames classes, and a renamed class name must never reach a user.
        this.name = "CliError";
    }
}

interface SdkError {
    name?: string;
    message?: string;
    code?: string;
    statusCode?: number;
    details?: { errorCode?: string };
    request?: { url?: string };
}

const NETWORK_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "ESOCKETTIMEDOUT", "ECONNABORTED"]);

/** First line only: storage messages carry "\nRequestId:…\nTime:…", which belong in fields, not the sentence. */
function firstLine(s: string | undefined): string {
    return (s ?? "").split("\n")[0].trim();
}

function where(t: Target): string {
    return `${t.what} '${t.name}' in ${t.hostKind} '${t.host}' (${t.endpoint})`;
}

/** The network code of an error, whichever SDK wrapped it (storage: e.code; Service Bus: in the message). */
function networkCode(e: SdkError): string | undefined {
    if (e.code && NETWORK_CODES.has(e.code)) return e.code;
    const m = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH)\b/.exec(e.message ?? "");
    return m?.[1];
}

function endpointOf(e: SdkError, t?: Target): string {
    if (t) return t.endpoint;
    try {
        return e.request?.url ? new URL(e.request.url).origin : "the endpoint";
    } catch {
        return "the endpoint";
    }
}

const CONNECTION_STRING_SHAPES: Record<Target["hostKind"], string> = {
    "storage account": "'DefaultEndpointsProtocol=https;AccountName=<account>;AccountKey=<key>;EndpointSuffix=core.windows.net', 'UseDevelopmentStorage=true' for Azurite on its default ports, or one with explicit QueueEndpoint=/BlobEndpoint=",
    "Service Bus namespace": "'Endpoint=sb://<namespace>.servicebus.windows.net/;SharedAccessKeyName=<rule>;SharedAccessKey=<key>'",
};

/** Explains any error; `t` says what was being touched (without it, the message names only the endpoint). */
export function explain(err: unknown, t?: Target): CliError {
    if (err instanceof CliError) return err;
    const e = (err ?? {}) as SdkError;
    const code = e.details?.errorCode ?? e.code;
    const status = e.statusCode;
    const fields: Record<string, unknown> = { ...(t ? { resource: t.what, name: t.name, [t.hostKind === "storage account" ? "account" : "namespace"]: t.host, endpoint: t.endpoint } : {}), ...(code ? { code } : {}), ...(status ? { status } : {}) };
    const sdkText = firstLine(e.message) || String(err);

    // Missing resource: storage 404s carry the error code in a header (also for HEAD); Service Bus names the entity.
    if (status === 404 || code === "QueueNotFound" || code === "ContainerNotFound" || code === "MessagingEntityNotFound" || code === "ResourceNotFound") {
        if (t) return new CliError(`${where(t)} does not exist`, `create it (${t.create}), or point ${t.nameFlag} at one that exists`, fields);
        return new CliError(`not found: ${sdkText}`, "check the queue, container and account names", fields);
    }

    if (code === "KeyBasedAuthenticationNotPermitted") {
        const host = t ? `${t.hostKind} '${t.host}'` : "the storage account";
        return new CliError(`${host} does not accept keys or connection strings (shared key access is off, as this project's stacks set it)`, "drop --connection-string / --results-connection-string and name the account (--storage-account, --results-account) so an Entra identity is used", fields);
    }

    // 403 with a SAS that lacks a permission: the SAS, not a role, is what to change.
    if (code === "AuthorizationPermissionMismatch" && t?.auth === "connection string") {
        return new CliError(`the connection string's SAS does not permit this on ${where(t)}`, "issue a SAS that allows read, update and process (the queue), add (its poison queue) or read, create and write (results; verify also needs list) — a SAS never gains a permission, so restart with the new one — or use an Entra identity", fields);
    }

    // 403 where the caller authenticated but lacks the permission: an RBAC role is missing (or still propagating).
    if (code === "AuthorizationPermissionMismatch" || (code === "UnauthorizedAccess" && t?.auth === "identity")) {
        const on = t ? where(t) : "this resource";
        const role = t ? `'${t.role}'` : "the data role for this operation";
        return new CliError(
            `the signed-in identity is not allowed to use ${on}`,
            `grant that identity ${role} scoped to the ${t?.what ?? "resource"} (locally: your az login user; in AKS: the workload's managed identity); new role assignments can take a few minutes to apply`,
            fields,
        );
    }

    // 403 where authentication itself failed: a wrong or rotated key, an expired SAS, a token for another tenant.
    if (status === 403 || status === 401 || code === "AuthenticationFailed" || code === "AuthorizationFailure" || code === "UnauthorizedAccess") {
        const host = t ? `${t.hostKind} '${t.host}' (${t.endpoint})` : endpointOf(e);
        if (t?.auth === "connection string" || (!t && code !== "AuthorizationFailure")) {
            return new CliError(`${host} rejected the connection string's key or SAS: ${sdkText}`, "copy a current connection string (keys get rotated, SAS tokens expire), or drop the connection string and use an Entra identity", fields);
        }
        return new CliError(
            `${host} refused the request: ${sdkText}`,
            `check that the identity belongs to the account's tenant and holds ${t ? `'${t.role}'` : "the data role"} on the ${t?.what ?? "resource"}; AuthorizationFailure also means the account's firewall or private endpoint does not admit this network`,
            fields,
        );
    }

    const net = networkCode(e);
    if (net) {
        const endpoint = endpointOf(e, t);
        const name = t ? ` for ${t.what} '${t.name}'` : "";
        if (net === "ENOTFOUND" || net === "EAI_AGAIN") {
            return new CliError(`cannot resolve ${endpoint}${name} (${net})`, "check the account or namespace name (--storage-account, --results-account, --servicebus-namespace) or the endpoint in the connection string; in AKS, check DNS and private endpoints", { ...fields, code: net });
        }
        if (net === "ECONNREFUSED") {
            return new CliError(`nothing is listening at ${endpoint}${name} (ECONNREFUSED)`, "check the endpoint and port in the connection string; locally, is Azurite running (npm run demo starts one)?", { ...fields, code: net });
        }
        return new CliError(`no answer from ${endpoint}${name} (${net})`, "check the network path: proxy, firewall, the account's network rules or private endpoint", { ...fields, code: net });
    }

    // Malformed connection strings: Node's URL parser ("Invalid URL") or the SDKs' own parsers.
    if (e.code === "ERR_INVALID_URL" || /Invalid URL|connection string|Connection string/i.test(e.message ?? "")) {
        const kind = t?.hostKind ?? "storage account";
        const which = t ? ` for ${t.what} '${t.name}'` : "";
        return new CliError(`the connection string${which} is not valid: ${sdkText}`, `pass one shaped like ${CONNECTION_STRING_SHAPES[kind]} (--connection-string / KEDASCALE_CONNECTION_STRING), or omit it and name the ${kind} to use an Entra identity`, fields);
    }

    // @azure/identity sets these names from string constants, so they survive minification.
    if (e.name === "CredentialUnavailableError" || e.name === "AggregateAuthenticationError" || e.name === "AuthenticationRequiredError" || e.name === "AuthenticationError") {
        return new CliError(
            `no Azure identity could sign in${t ? ` to use ${where(t)}` : ""}: ${sdkText}`,
            "locally: az login; in AKS: label the pod azure.workload.identity/use=true and annotate its ServiceAccount with the identity's client id; or pass --connection-string for Azurite/local runs",
            fields,
        );
    }

    if (code === "ServiceCommunicationProblem" || code === "ServiceTimeout" || code === "ServiceBusy") {
        return new CliError(`Service Bus${t ? ` ${where(t)}` : ""} did not answer: ${sdkText}`, "check the namespace name and the network path (port 5671 AMQP, or 443 with WebSockets)", fields);
    }

    const prefix = t ? `${where(t)}: ` : "";
    return new CliError(`${prefix}${sdkText}`, "see the error above; rerun with the same flags once it is fixed", fields);
}

/** The fix and the facts behind an error, as log fields (the message is the log line's msg). */
export function errorFields(e: CliError): Record<string, unknown> {
    return { fix: e.fix, ...e.fields };
}
