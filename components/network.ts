import * as network from "@pulumi/azure-native/network";
import * as pulumi from "@pulumi/pulumi";

export interface NetworkArgs {
    /** Resource group for the VNet. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region. */
    location: pulumi.Input<string>;
    /** VNet name. */
    vnetName: string;
    /** VNet address space, e.g. 10.224.0.0/12. */
    vnetCidr: string;
    /** Node subnet range, inside vnetCidr. */
    nodeSubnetCidr: string;
    /** Range of a subnet delegated to ACI for virtual nodes. Default: none (no virtual nodes). */
    virtualNodeSubnetCidr?: string;
}

/** A VNet with the AKS node subnet and, for virtual nodes, a subnet delegated to Azure Container Instances. */
export class Network extends pulumi.ComponentResource {
    public readonly vnetId: pulumi.Output<string>;
    public readonly nodeSubnetId: pulumi.Output<string>;
    /** Set only when a virtual-node subnet was asked for. */
    public readonly virtualNodeSubnetId?: pulumi.Output<string>;
    /** The add-on takes the subnet's name, not its id (FACTS §1). */
    public readonly virtualNodeSubnetName?: string;

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:azure:Network", name, {}, opts);

        const vnet = new network.VirtualNetwork(
            `${name}-vnet`,
            {
                virtualNetworkName: args.vnetName,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                addressSpace: { addressPrefixes: [args.vnetCidr] },
            },
            // Subnets are separate resources; the VNet must not try to own (and so delete) them.
            { parent: this, ignoreChanges: ["subnets"] },
        );

        const nodeSubnet = new network.Subnet(
            `${name}-nodes`,
            {
                subnetName: "nodes",
                resourceGroupName: args.resourceGroupName,
                virtualNetworkName: vnet.name,
                addressPrefix: args.nodeSubnetCidr,
            },
            { parent: this },
        );
        this.vnetId = vnet.id;
        this.nodeSubnetId = nodeSubnet.id;

        if (args.virtualNodeSubnetCidr) {
            this.virtualNodeSubnetName = "virtual-nodes";
            const aciSubnet = new network.Subnet(
                `${name}-virtual-nodes`,
                {
                    subnetName: this.virtualNodeSubnetName,
                    resourceGroupName: args.resourceGroupName,
                    virtualNetworkName: vnet.name,
                    addressPrefix: args.virtualNodeSubnetCidr,
                    delegations: [{ name: "aci", serviceName: "Microsoft.ContainerInstance/containerGroups" }],
                },
                // Two subnet writes on one VNet at once fail with AnotherOperationInProgress.
                { parent: this, dependsOn: [nodeSubnet] },
            );
            this.virtualNodeSubnetId = aciSubnet.id;
        }

        this.registerOutputs({ vnetId: this.vnetId, nodeSubnetId: this.nodeSubnetId, virtualNodeSubnetId: this.virtualNodeSubnetId });
    }
}
