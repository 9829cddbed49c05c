/**
 * What the cluster stacks send about surge, load-balancer backend pools and the virtual-node subnet (issue 23 points
 * 5, 9, 13), run through the real index.ts and stack files under mocks; and the removal of ACI's service association
 * link on destroy, run against a local ARM stand-in (mocks never run a dynamic provider's code).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { deleteServiceAssociationLink, serviceAssociationLinkId, subnetLinkProvider } from "../components/azure/aciSubnetLink";
import { runProgram, type ProgramRun } from "./harness/runProgram";

const T = {
    cluster: "azure-native:containerservice:ManagedCluster",
    pool: "azure-native:containerservice:AgentPool",
    role: "azure-native:authorization:RoleAssignment",
    subnet: "azure-native:network:Subnet",
    vnet: "azure-native:network:VirtualNetwork",
    subnetLink: "pulumi-nodejs:dynamic/aci:SubnetLink",
};

describe("dev as sent (virtual nodes, a Spot pool, a Regular system pool)", () => {
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runProgram("dev");
    });

    it("states maxSurge on the system pool and leaves it off the Spot pool", () => {
        expect(run.one(T.cluster).inputs.agentPoolProfiles[0].upgradeSettings).toEqual({ maxSurge: "10%" });
        expect(run.one(T.pool).inputs.scaleSetPriority).toBe("Spot");
        expect(run.one(T.pool).inputs).not.toHaveProperty("upgradeSettings");
    });

    it("uses IP-based backend pools and grants the control plane Network Contributor on the VNet (joinLoadBalancer)", () => {
        expect(run.one(T.cluster).inputs.networkProfile.loadBalancerProfile.backendPoolType).toBe("NodeIP");
        const grant = run.one(T.role, "cluster-control-plane-vnet");
        expect(grant.inputs.scope).toBe(run.one(T.vnet).id);
        expect(grant.inputs.roleDefinitionId).toMatch(/4d97b98b-1d4f-4787-a291-c67834d212e7$/);
    });

    it("creates the cluster after the ACI subnet, through the link resource that removes ACI's link on destroy", () => {
        const link = run.one(T.subnetLink, "cluster-aci-subnet-link");
        const aciSubnet = run.one(T.subnet, "network-virtual-nodes");
        expect(link.inputs.subnetId).toBe(aciSubnet.id);
        // Explicit dependencies: destroy deletes the cluster, then the link, then the subnet.
        expect(link.dependsOn).toContain("network-virtual-nodes");
        expect(run.one(T.cluster).dependsOn).toContain("cluster-aci-subnet-link");
        expect(run.one(T.cluster).inputs.addonProfiles.aciConnectorLinux).toEqual({ enabled: true, config: { SubnetName: aciSubnet.inputs.subnetName } });
    });
});

describe("scale1000 as sent", () => {
    it("sizes the system pool D16ds_v5 with a stated surge, and the Spot pool without one", async () => {
        const run = await runProgram("scale1000");
        expect(run.one(T.cluster).inputs.agentPoolProfiles[0]).toMatchObject({ vmSize: "Standard_D16ds_v5", upgradeSettings: { maxSurge: "10%" } });
        expect(run.one(T.pool).inputs).toMatchObject({ scaleSetPriority: "Spot", osDiskType: "Ephemeral", osDiskSizeGB: 75 });
        expect(run.one(T.pool).inputs).not.toHaveProperty("upgradeSettings");
        expect(run.outputs.capacity.quotaToRequest).toEqual({ lowPriorityCores: 3992, standardDDSv5Family: 48, cores: 48 });
    });
});

/** A stand-in for ARM: each request is answered by the next scripted reply; every request is recorded. */
function armStandIn(replies: ((req: IncomingMessage, res: ServerResponse, base: string) => void)[]) {
    const seen: { method: string; url: string; auth?: string }[] = [];
    const server: Server = createServer((req, res) => {
        seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization });
        const reply = replies.shift();
        if (!reply) {
            res.statusCode = 500;
            res.end("unexpected request");
            return;
        }
        reply(req, res, base());
    });
    const base = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
        seen,
        start: () => new Promise<string>((r) => server.listen(0, "127.0.0.1", () => r(base()))),
        stop: () => new Promise<void>((r) => server.close(() => r())),
    };
}

describe("removing ACI's service association link (aks-docs virtual-nodes-cli.md, Remove virtual nodes)", () => {
    const subnetId = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/virtual-nodes";
    let stop: (() => Promise<void>) | undefined;
    afterEach(async () => {
        await stop?.();
        stop = undefined;
    });

    it("sends DELETE on the link's id with the documented api-version, and follows a 202 to completion", async () => {
        const arm = armStandIn([
            (_q, res, base) => {
                res.writeHead(202, { location: `${base}/operation/1`, "retry-after": "0" });
                res.end();
            },
            (_q, res) => {
                res.writeHead(202, { location: "ignored", "retry-after": "0" });
                res.end();
            },
            (_q, res) => {
                res.writeHead(200, { "content-type": "application/json" });
                res.end(JSON.stringify({ status: "Succeeded" }));
            },
        ]);
        const baseUrl = await arm.start();
        stop = arm.stop;
        expect(await deleteServiceAssociationLink({ subnetId, accessToken: "t0ken", baseUrl, maxPollDelayMs: 1 })).toBe("deleted");
        expect(arm.seen[0]).toEqual({ method: "DELETE", url: `${serviceAssociationLinkId(subnetId)}?api-version=2021-10-01`, auth: "Bearer t0ken" });
        expect(arm.seen.map((s) => s.url)).toEqual([`${serviceAssociationLinkId(subnetId)}?api-version=2021-10-01`, "/operation/1", "/operation/1"]);
    });

    it("treats a subnet ACI never linked (404) as done", async () => {
        const arm = armStandIn([(_q, res) => ((res.statusCode = 404), res.end())]);
        const baseUrl = await arm.start();
        stop = arm.stop;
        expect(await deleteServiceAssociationLink({ subnetId, accessToken: "t", baseUrl })).toBe("absent");
    });

    it("fails a refused DELETE with the reason and the exact manual step", async () => {
        const arm = armStandIn([(_q, res) => ((res.statusCode = 409), res.end('{"error":{"code":"InUseSubnetCannotBeDeleted"}}'))]);
        const baseUrl = await arm.start();
        stop = arm.stop;
        await expect(deleteServiceAssociationLink({ subnetId, accessToken: "t", baseUrl })).rejects.toThrow(
            /HTTP 409 .*InUseSubnetCannotBeDeleted.*ACI still has container groups in the subnet.*az resource delete --ids \/subscriptions\/s\/.*\/subnets\/virtual-nodes\/providers\/Microsoft\.ContainerInstance\/serviceAssociationLinks\/default --api-version 2021-10-01/,
        );
    });

    it("does nothing on create and deletes the link on delete, as the provider Pulumi calls", async () => {
        const arm = armStandIn([(_q, res) => ((res.statusCode = 200), res.end())]);
        const baseUrl = await arm.start();
        stop = arm.stop;
        const provider = subnetLinkProvider({ accessToken: async () => "t", baseUrl });
        const created = await provider.create!({ subnetId });
        expect(created.id).toBe(serviceAssociationLinkId(subnetId));
        expect(arm.seen).toHaveLength(0);
        await provider.delete!(created.id, { subnetId });
        expect(arm.seen.map((s) => s.method)).toEqual(["DELETE"]);
    });
});
