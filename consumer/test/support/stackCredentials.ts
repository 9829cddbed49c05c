/**
 * The credentials the stack issues, reproduced on Azurite with the functions the stack itself uses, so a test hands
 * the worker exactly what a pod gets and nothing broader (issue 23 point 1):
 * - virtual-node (ACI) pods, components/azure/virtualNodeCredential.ts: service SAS tokens signed with the account
 *   key — the queue `rup`, `<queue>-poison` `a`, the results container `rcw` (plan/virtualNodes.ts SAS_PERMISSIONS) —
 *   HTTPS only (`protocols: "https"` in listStorageAccountServiceSAS, so `spr=https`), expiring at the end of the
 *   rotation window (credentialWindow), as connection strings built by sasConnectionString;
 * - the `local` stack, plan/localAzurite.ts: one account-key connection string for queue and results.
 * Azurite checks a SAS's permissions, resource, expiry and protocol (its Queue/BlobSASAuthenticator), so a worker that
 * needs more than it is given fails here as it would on Azure. `spr=https` needs Azurite on HTTPS: selfSignedCert.
 */
import { ContainerSASPermissions, generateBlobSASQueryParameters, SASProtocol, StorageSharedKeyCredential } from "@azure/storage-blob";
import { generateQueueSASQueryParameters, QueueSASPermissions } from "@azure/storage-queue";
import { getCachedDefaultHttpClient } from "@azure/storage-common";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY } from "../../../components/plan/localAzurite";
import { credentialWindow, SAS_PERMISSIONS, sasConnectionString } from "../../../components/plan/virtualNodes";
import type { Azurite } from "./azurite";

/** components/config/virtualNodes.ts: credentialValidityDays default 30, minimum 2. */
export const VALIDITY_DAYS = { default: 30, min: 2 } as const;

export interface Cert {
    readonly certPath: string;
    readonly keyPath: string;
    remove(): void;
}

/** A throwaway self-signed certificate for 127.0.0.1 (openssl, as in Debian and the node images). */
export function selfSignedCert(): Cert {
    const dir = mkdtempSync(join(tmpdir(), "kedascale-tls-"));
    const certPath = join(dir, "cert.pem");
    const keyPath = join(dir, "key.pem");
    try {
        execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyPath, "-out", certPath, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "pipe" });
    } catch (e) {
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`these tests need openssl to make Azurite's HTTPS certificate (the stack's SAS tokens are HTTPS-only): ${(e as Error).message}`);
    }
    return { certPath, keyPath, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The test's own Storage clients (setting up queues, checking results) trust the certificate: the SDKs share one
 * cached HTTP client, whose requests get it as their CA. Child processes get NODE_EXTRA_CA_CERTS instead, as a pod
 * trusts Azure's CAs. Only for this test process; nothing else talks to anything but loopback.
 */
export function trustInThisProcess(cert: Cert): void {
    const client = getCachedDefaultHttpClient();
    const ca = readFileSync(cert.certPath, "utf8");
    const send = client.sendRequest.bind(client);
    client.sendRequest = (request) => {
        request.tlsSettings ??= { ca };
        return send(request);
    };
}

const key = () => new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY);

/** Expiry of every SAS the stack would issue now (the end of the next rotation window). */
export const stackExpiry = (validityDays: number = VALIDITY_DAYS.default): Date => new Date(credentialWindow(Date.now(), validityDays).expiry);

/** A queue service SAS as listStorageAccountServiceSAS returns it for `/queue/<account>/<queue>`. */
export function queueSas(queue: string, permissions: string, expiresOn: Date): string {
    return generateQueueSASQueryParameters({ queueName: queue, permissions: QueueSASPermissions.parse(permissions), expiresOn, protocol: SASProtocol.Https }, key()).toString();
}

/** A container service SAS (`resource: "c"`) for `/blob/<account>/<container>`. */
export function containerSas(container: string, permissions: string, expiresOn: Date): string {
    return generateBlobSASQueryParameters({ containerName: container, permissions: ContainerSASPermissions.parse(permissions), expiresOn, protocol: SASProtocol.Https }, key()).toString();
}

/**
 * The env a virtual-node pod gets on a Storage-queue workload (workload.ts brokerEnv + virtualNodes.ts credentialEnv):
 * no account names, three SAS connection strings. `override` swaps one permission set (to show what a missing letter does).
 */
export function virtualNodeStorageEnv(
    azurite: Azurite,
    names: { queue: string; container: string },
    o: { validityDays?: number; override?: Partial<Record<keyof typeof SAS_PERMISSIONS, string>> } = {},
): Record<string, string> {
    const expiry = stackExpiry(o.validityDays);
    const p = { ...SAS_PERMISSIONS, ...o.override };
    return {
        KEDASCALE_BROKER: "storageQueue",
        KEDASCALE_QUEUE: names.queue,
        KEDASCALE_RESULTS_CONTAINER: names.container,
        KEDASCALE_CONNECTION_STRING: sasConnectionString("queue", azurite.queueEndpoint, queueSas(names.queue, p.queue, expiry)),
        KEDASCALE_POISON_CONNECTION_STRING: sasConnectionString("queue", azurite.queueEndpoint, queueSas(`${names.queue}-poison`, p.poisonQueue, expiry)),
        KEDASCALE_RESULTS_CONNECTION_STRING: sasConnectionString("blob", azurite.blobEndpoint, containerSas(names.container, p.resultsContainer, expiry)),
    };
}

/** The results credential of a virtual-node pod on a Service Bus workload (its queue credential is the Listen rule's). */
export function virtualNodeResultsConnection(azurite: Azurite, container: string, validityDays?: number): string {
    return sasConnectionString("blob", azurite.blobEndpoint, containerSas(container, SAS_PERMISSIONS.resultsContainer, stackExpiry(validityDays)));
}
