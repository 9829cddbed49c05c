import type * as authorization from "@pulumi/azure-native/authorization";
import * as containerregistry from "@pulumi/azure-native/containerregistry";
import * as pulumi from "@pulumi/pulumi";
import type { RegistryConfig } from "./config/schema";
import { grantRole } from "./roles";

export interface RegistryArgs {
    /** Resource group for the registry. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region. */
    location: pulumi.Input<string>;
    /** Globally unique registry name: 5–50 lowercase letters and digits. */
    registryName: pulumi.Input<string>;
    /** SKU. Default: Basic. Premium for many nodes pulling at once. */
    sku?: RegistryConfig["sku"];
    /** Principals granted AcrPull (the cluster's kubelet identity). Default: none. */
    pullPrincipalIds?: Record<string, pulumi.Input<string>>;
}

/** An Azure Container Registry without the admin user: pulls and pushes authenticate with Entra ID. */
export class Registry extends pulumi.ComponentResource {
    public readonly registryId: pulumi.Output<string>;
    public readonly registryName: pulumi.Output<string>;
    /** e.g. myregistry.azurecr.io */
    public readonly loginServer: pulumi.Output<string>;
    /** The AcrPull assignments: pods depend on them, else the first pulls fail with ImagePullBackOff. */
    public readonly pullGrants: authorization.RoleAssignment[];

    constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:azure:Registry", name, {}, opts);
        const registry = new containerregistry.Registry(
            `${name}-acr`,
            {
                registryName: args.registryName,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                sku: { name: args.sku ?? "Basic" },
                // No shared admin password: kubelet pulls with AcrPull, deployers push with an Entra token.
                adminUserEnabled: false,
                anonymousPullEnabled: false,
            },
            { parent: this },
        );
        this.pullGrants = Object.entries(args.pullPrincipalIds ?? {}).map(([who, principalId]) =>
            grantRole(`${name}-pull-${who}`, { principalId, role: "acrPull", scope: registry.id }, { parent: this }),
        );
        this.registryId = registry.id;
        this.registryName = registry.name;
        this.loginServer = registry.loginServer;
        this.registerOutputs({ registryId: this.registryId, loginServer: this.loginServer });
    }
}
