/**
 * Creating the queue, its poison queue and the results container in the in-cluster Azurite (the `local` stack).
 *
 * In Azure, Messaging creates them as resources; Azurite's are data inside a pod, reachable only from inside the
 * cluster (the deployer's machine cannot resolve `azurite.azurite.svc.cluster.local`), and the worker does not create
 * what it uses. So a Kubernetes Job does it, from Azurite's own pinned image (it runs Node, so no other image to pin):
 * a few lines of Node that sign each PUT with the account key (Azurite refuses anonymous requests: 403
 * AuthenticationFailed) and treat "already exists" as done, so the Job is idempotent and may rerun. It retries until
 * Azurite answers (the Job starts alongside Azurite's pod). test/localAzurite.test.ts runs this exact script against a
 * real Azurite.
 *
 * Shared Key signing (learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key): the string to sign is
 * VERB, eleven standard headers (empty here; Content-Length empty when 0), the canonicalized x-ms-* headers, then
 * `/<account><path>` and each query parameter as `\nname:value`.
 */
import type { K8sObject } from "./k8sObject";
import { AZURITE_IMAGE, AZURITE_SECRET_KEY, type LocalAzuriteSpec } from "./localAzurite";

/** What the Job creates. */
export interface AzuriteSetupTargets {
    readonly queues: readonly string[];
    readonly containers: readonly string[];
}

/**
 * The Node program the Job runs (`node -e`). Reads AZURITE_CONNECTION (the Secret's connection string), QUEUES and
 * CONTAINERS (comma-separated); exits 0 once every one exists, non-zero after ATTEMPTS (60) tries RETRY_MS (5 s) apart.
 */
export const AZURITE_SETUP_SCRIPT = `
const http = require("http"), crypto = require("crypto");
const cs = Object.fromEntries(process.env.AZURITE_CONNECTION.split(";").filter(Boolean).map((p) => { const i = p.indexOf("="); return [p.slice(0, i), p.slice(i + 1)]; }));
const key = Buffer.from(cs.AccountKey, "base64");
const list = (v) => (v || "").split(",").filter(Boolean);
function put(endpoint, name, query) {
  const url = new URL(endpoint.replace(/\\/$/, "") + "/" + name + (query ? "?" + query : ""));
  const headers = { "x-ms-date": new Date().toUTCString(), "x-ms-version": "2021-08-06" };
  const canonHeaders = Object.keys(headers).sort().map((h) => h + ":" + headers[h] + "\\n").join("");
  const params = [...url.searchParams.entries()].sort().map(([k, v]) => "\\n" + k.toLowerCase() + ":" + v).join("");
  const toSign = ["PUT", "", "", "", "", "", "", "", "", "", "", ""].join("\\n") + "\\n" + canonHeaders + "/" + cs.AccountName + url.pathname + params;
  headers.Authorization = "SharedKey " + cs.AccountName + ":" + crypto.createHmac("sha256", key).update(toSign, "utf8").digest("base64");
  headers["Content-Length"] = "0";
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "PUT", headers, timeout: 10000 }, (res) => {
      let body = ""; res.on("data", (d) => (body += d));
      res.on("end", () => (res.statusCode < 300 || res.statusCode === 409 ? resolve(res.statusCode) : reject(new Error(name + ": HTTP " + res.statusCode + " " + body.slice(0, 300)))));
    });
    req.on("timeout", () => req.destroy(new Error(name + ": timed out")));
    req.on("error", reject);
    req.end();
  });
}
(async () => {
  const todo = [...list(process.env.QUEUES).map((q) => [cs.QueueEndpoint, q, ""]), ...list(process.env.CONTAINERS).map((c) => [cs.BlobEndpoint, c, "restype=container"])];
  for (let attempt = 1; ; attempt++) {
    try {
      for (const [endpoint, name, query] of todo) console.log(name + ": HTTP " + (await put(endpoint, name, query)));
      return;
    } catch (e) {
      console.error("attempt " + attempt + ": " + e.message);
      if (attempt >= Number(process.env.ATTEMPTS || 60)) process.exit(1);
      await new Promise((r) => setTimeout(r, Number(process.env.RETRY_MS || 5000)));
    }
  }
})();
`;

/** The Job's name in the workload namespace. */
export const azuriteSetupJobName = (s: LocalAzuriteSpec): string => `${s.name}-setup`;

/**
 * The setup Job, in the namespace of the connection Secret it reads. Not run by `ttlSecondsAfterFinished`: Pulumi
 * owns the Job, and a Job deleted behind its back would be recreated on every `pulumi up`.
 */
export function renderAzuriteSetupJob(s: LocalAzuriteSpec, namespace: string, secretName: string, targets: AzuriteSetupTargets): K8sObject {
    return {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name: azuriteSetupJobName(s), namespace, labels: { "app.kubernetes.io/name": azuriteSetupJobName(s), "app.kubernetes.io/part-of": "kedascale" } },
        spec: {
            backoffLimit: 3,
            template: {
                metadata: { labels: { "app.kubernetes.io/name": azuriteSetupJobName(s) } },
                spec: {
                    restartPolicy: "Never",
                    automountServiceAccountToken: false,
                    containers: [
                        {
                            name: "setup",
                            image: AZURITE_IMAGE,
                            command: ["node", "-e", AZURITE_SETUP_SCRIPT],
                            env: [
                                { name: "AZURITE_CONNECTION", valueFrom: { secretKeyRef: { name: secretName, key: AZURITE_SECRET_KEY } } },
                                { name: "QUEUES", value: targets.queues.join(",") },
                                { name: "CONTAINERS", value: targets.containers.join(",") },
                            ],
                            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
                            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                        },
                    ],
                },
            },
        },
    };
}
