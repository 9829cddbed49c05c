import * as network from "@pulumi/azure-native/network";
import * as pulumi from "@pulumi/pulumi";
import { NODE_SUBNET, VIRTUAL_NODE_SUBNET } from "../plan/names";

export interface NetworkArgs {
    /** Resource group of the VNet. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region. */
    location: pulumi.Input<string>;
    /** VNet name: 2–64 letters, digits, '-', '_', '.'. */
    vnetName: pulumi.Input<string>;
    /** VNet address space. Default: 10.224.0.0/12 (AKS's own default VNet range). */
    vnetCidr?: pulumi.Input<string>;
    /** Node subnet range, inside vnetCidr; holds every node (and, under node-subnet CNI, every pod). Default: 10.224.0.0/16. */
    nodeSubnetCidr?: pulumi.Input<string>;
    /** Range of a subnet delegated to ACI for virtual nodes, inside vnetCidr. Default: none (no virtual-node subnet). */
    virtualNodeSubnetCidr?: pulumi.Input<string>;
}

/** A VNet with the AKS node subnet and, for virtual nodes, a subnet delegated to Azure Container Instances. */
export class Network extends pulumi.ComponentResource {
    public readonly vnet: network.VirtualNetwork;
    public readonly nodeSubnet: network.Subnet;
    /** The ACI-delegated subnet; only when virtualNodeSubnetCidr was given. */
    public readonly virtualNodeSubnet?: network.Subnet;
    public readonly vnetId: pulumi.Output<string>;
    public readonly nodeSubnetId: pulumi.Output<string>;
    /** Set only when a virtual-node subnet was asked for. */
    public readonly virtualNodeSubnetId?: pulumi.Output<string>;
    /** The add-on takes the subnet's name, not its id (FACTS §1). */
    public readonly virtualNodeSubnetName?: string;

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:azure:Network", name, {}, opts);

        this.vnet = new network.VirtualNetwork(
            `${name}-vnet`,
            {
                virtualNetworkName: args.vnetName,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                addressSpace: { addressPrefixes: [args.vnetCidr ?? "10.224.0.0/12"] },
            },
            // Subnets are separate resources; the VNet must not try to own (and so delete) them.
            { parent: this, ignoreChanges: ["subnets"] },
        );

        this.nodeSubnet = new network.Subnet(
            `${name}-nodes`,
            {
                subnetName: NODE_SUBNET,
                resourceGroupName: args.resourceGroupName,
                virtualNetworkName: this.vnet.name,
                addressPrefix: args.nodeSubnetCidr ?? "10.224.0.0/16",
            },
            { parent: this },
        );
        this.vnetId = this.vnet.id;
        this.nodeSubnetId = this.nodeSubnet.id;

        if (args.virtualNodeSubnetCidr !== undefined) {
            this.virtualNodeSubnetName = VIRTUAL_NODE_SUBNET;
            this.virtualNodeSubnet = new network.Subnet(
                `${name}-virtual-nodes`,
                {
                    subnetName: this.virtualNodeSubnetName,
                    resourceGroupName: args.resourceGroupName,
                    virtualNetworkName: this.vnet.name,
                    addressPrefix: args.virtualNodeSubnetCidr,
                    delegations: [{ name: "aci", serviceName: "Microsoft.ContainerInstance/containerGroups" }],
                },
                // Two subnet writes on one VNet at once fail with AnotherOperationInProgress.
                { parent: this, dependsOn: [this.nodeSubnet] },
            );
            this.virtualNodeSubnetId = this.virtualNodeSubnet.id;
        }

        this.registerOutputs({ vnet: this.vnet, nodeSubnet: this.nodeSubnet, virtualNodeSubnet: this.virtualNodeSubnet, vnetId: this.vnetId, nodeSubnetId: this.nodeSubnetId });
    }
}
