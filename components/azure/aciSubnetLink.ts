/**
 * The service association link (SAL) ACI puts on the virtual-node subnet, removed on `pulumi destroy` so the subnet
 * can go. While a SAL exists, ARM refuses to delete the subnet; Microsoft's steps to remove virtual nodes delete it
 * by id before touching the subnet (aks-docs virtual-nodes-cli.md, "Remove virtual nodes"):
 *   SAL_ID=<subnet id>/providers/Microsoft.ContainerInstance/serviceAssociationLinks/default
 *   az resource delete --ids $SAL_ID --api-version 2021-10-01
 * The network profile those steps also delete lives in the cluster's node resource group, which AKS deletes with the
 * cluster. azure-native has no resource for a SAL (ACI creates it), so a small dynamic provider does nothing on create
 * and sends that DELETE on delete. AksCluster makes the cluster depend on it and it on the subnet, so Pulumi deletes
 * the cluster (and with it the ACI connector and its container groups) first, then the link, then the subnet.
 * test/virtualNodeSubnet.test.ts runs the DELETE against a local server.
 */
import type * as pulumi from "@pulumi/pulumi";
// Static imports only: Pulumi serializes the provider's closure (see acrTokenPassword.ts).
import { ARM_ENDPOINT, deployerArmToken } from "./acrTokenPassword";

/** The API version Microsoft's removal steps use for the link. */
export const SAL_API_VERSION = "2021-10-01";

/** The link's resource id on a subnet (ACI always names it "default"). */
export function serviceAssociationLinkId(subnetId: string): string {
    return `${subnetId}/providers/Microsoft.ContainerInstance/serviceAssociationLinks/default`;
}

export interface DeleteLinkRequest {
    subnetId: string;
    /** Entra access token for ARM. */
    accessToken: string;
    /** ARM endpoint; tests point it at a local server. Default: https://management.azure.com */
    baseUrl?: string;
    /** Longest wait between polls of a 202, in ms. Default 10,000. */
    maxPollDelayMs?: number;
    /** Polls of a 202 before giving up. Default 90 (ACI may take minutes to release the subnet). */
    maxPolls?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function retryAfterMs(res: Response, max: number): number {
    const s = Number(res.headers.get("retry-after"));
    return Math.min(max, Number.isFinite(s) && s >= 0 ? s * 1000 : 2000);
}

/** What to tell the user when the DELETE fails: the exact manual step, so a destroy can be finished by hand. */
export function manualRemoval(subnetId: string): string {
    return `remove it by hand, then run pulumi destroy again: az resource delete --ids ${serviceAssociationLinkId(subnetId)} --api-version ${SAL_API_VERSION}`;
}

async function failure(res: Response, subnetId: string): Promise<Error> {
    const text = (await res.text()).slice(0, 300);
    const hint =
        res.status === 401 || res.status === 403
            ? " The deployer needs Microsoft.ContainerInstance/serviceAssociationLinks/delete on the subnet (Network Contributor or Contributor)."
            : res.status === 409 || res.status === 400
              ? " ACI still has container groups in the subnet: delete the virtual-node pods (or the cluster) first."
              : "";
    return new Error(`deleting ACI's service association link on ${subnetId} failed: HTTP ${res.status} ${text}.${hint} Or ${manualRemoval(subnetId)}`);
}

/** DELETE the link; absent (404) counts as done. Follows ARM's 202 + Location long-running pattern. */
export async function deleteServiceAssociationLink(req: DeleteLinkRequest): Promise<"deleted" | "absent"> {
    const base = (req.baseUrl ?? ARM_ENDPOINT).replace(/\/$/, "");
    const headers = { authorization: `Bearer ${req.accessToken}`, accept: "application/json" };
    const res = await fetch(`${base}${serviceAssociationLinkId(req.subnetId)}?api-version=${SAL_API_VERSION}`, { method: "DELETE", headers });
    if (res.status === 404) return "absent";
    if (res.status === 200 || res.status === 204) return "deleted";
    if (res.status !== 202) throw await failure(res, req.subnetId);
    const poll = res.headers.get("location") ?? res.headers.get("azure-asyncoperation");
    if (!poll) return "deleted"; // accepted with nothing to poll: ARM finishes it on its own
    let delay = retryAfterMs(res, req.maxPollDelayMs ?? 10_000);
    for (let i = 0; i < (req.maxPolls ?? 90); i++) {
        await sleep(delay);
        const p = await fetch(poll, { headers });
        if (p.status === 200 || p.status === 204 || p.status === 404) {
            const body = p.status === 200 ? ((await p.json().catch(() => ({}))) as { status?: string }) : {};
            if (!body.status || body.status === "Succeeded") return "deleted";
            if (body.status !== "InProgress" && body.status !== "Running") throw new Error(`deleting ACI's service association link on ${req.subnetId} ended ${body.status}. ${manualRemoval(req.subnetId)}`);
        } else if (p.status !== 202) {
            throw await failure(p, req.subnetId);
        }
        delay = retryAfterMs(p, req.maxPollDelayMs ?? 10_000);
    }
    throw new Error(`deleting ACI's service association link on ${req.subnetId} did not finish after ${req.maxPolls ?? 90} polls. ${manualRemoval(req.subnetId)}`);
}

export interface LinkInputs {
    subnetId: string;
}

export interface LinkProviderDeps {
    accessToken(): Promise<string>;
    baseUrl?: string;
    maxPollDelayMs?: number;
}

/** create/update: nothing (ACI makes the link when its first container group lands); delete: remove the link. */
export function subnetLinkProvider(deps: LinkProviderDeps): pulumi.dynamic.ResourceProvider {
    return {
        async create(inputs: LinkInputs) {
            return { id: serviceAssociationLinkId(inputs.subnetId), outs: { subnetId: inputs.subnetId } };
        },
        async diff(_id: string, olds: LinkInputs, news: LinkInputs) {
            const changed = olds.subnetId !== news.subnetId;
            return { changes: changed, replaces: changed ? ["subnetId"] : [], deleteBeforeReplace: true };
        },
        async delete(_id: string, olds: LinkInputs) {
            await deleteServiceAssociationLink({ subnetId: olds.subnetId, accessToken: await deps.accessToken(), baseUrl: deps.baseUrl, maxPollDelayMs: deps.maxPollDelayMs });
        },
    };
}

/** The default provider: the deployer's own ARM token (az login, or Deployments/ESC OIDC). */
export const defaultSubnetLinkProvider = (): pulumi.dynamic.ResourceProvider => subnetLinkProvider({ accessToken: deployerArmToken });
