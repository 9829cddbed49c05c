/**
 * Issue 9 point 7: in a pod whose workload-identity variables were not injected, the worker must not fall through
 * to the node's managed identity (DefaultAzureCredential → IMDS) and fail later with 403s naming the wrong
 * principal: it refuses at start, naming the pod label and the ServiceAccount annotation that are missing.
 */
import { describe, expect, it } from "vitest";
import { WORKLOAD_IDENTITY_ANNOTATION, WORKLOAD_IDENTITY_LABEL, workloadIdentityProblem } from "../src/connect";
import { runCli } from "./support/processes";

const injected = { AZURE_FEDERATED_TOKEN_FILE: "/var/run/secrets/azure/tokens/azure-identity-token", AZURE_CLIENT_ID: "00000000-0000-0000-0000-000000000001", AZURE_TENANT_ID: "00000000-0000-0000-0000-000000000002" };

describe("workload identity in a pod", () => {
    it("outside a cluster there is no problem: az login-style credentials stay available", () => {
        expect(workloadIdentityProblem({})).toBeUndefined();
        expect(workloadIdentityProblem({ AZURE_CLIENT_ID: "x" })).toBeUndefined();
    });

    it("in a pod with the webhook's variables there is no problem", () => {
        expect(workloadIdentityProblem({ KUBERNETES_SERVICE_HOST: "10.0.0.1", ...injected })).toBeUndefined();
    });

    it.each([["AZURE_FEDERATED_TOKEN_FILE"], ["AZURE_CLIENT_ID"], ["AZURE_TENANT_ID"]])("in a pod without %s: names it, the label and the annotation", (name) => {
        const env: NodeJS.ProcessEnv = { KUBERNETES_SERVICE_HOST: "10.0.0.1", ...injected };
        delete env[name];
        const problem = workloadIdentityProblem(env);
        expect(problem).toContain(name);
        expect(problem).toContain(WORKLOAD_IDENTITY_LABEL);
        expect(problem).toContain(WORKLOAD_IDENTITY_ANNOTATION);
    });

    it("the bundled worker refuses to start in such a pod, with that message, before touching the network", async () => {
        const env = {
            KUBERNETES_SERVICE_HOST: "10.0.0.1",
            AZURE_FEDERATED_TOKEN_FILE: "",
            AZURE_CLIENT_ID: "",
            AZURE_TENANT_ID: "",
            // Unreachable on purpose: a credential that fell through to IMDS or a network call would hang or time out here.
            KEDASCALE_STORAGE_ACCOUNT: "kedascalenotreal",
            KEDASCALE_RESULTS_ACCOUNT: "kedascalenotreal",
        };
        const r = await runCli(["work", "--once"], env, 30_000);
        expect(r.signal).toBeNull();
        expect(r.code).not.toBe(0);
        const out = r.lines.concat(r.errLines).join("\n");
        expect(out).toContain("azure.workload.identity/use");
        expect(out).toContain(WORKLOAD_IDENTITY_ANNOTATION);
        expect(out).toContain("AZURE_FEDERATED_TOKEN_FILE");
    }, 40_000);
});
