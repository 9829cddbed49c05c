import type * as authorization from "@pulumi/azure-native/authorization";
import * as containerregistry from "@pulumi/azure-native/containerregistry";
import * as pulumi from "@pulumi/pulumi";
import { grantRole } from "./roles";

export interface RegistryArgs {
    /** Resource group of the registry. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region. */
    location: pulumi.Input<string>;
    /** Globally unique registry name: 5–50 lowercase letters and digits. */
    registryName: pulumi.Input<string>;
    /** Basic, Standard or Premium (Premium for many nodes pulling at once). Default: Basic. */
    sku?: pulumi.Input<"Basic" | "Standard" | "Premium">;
    /**
     * Principals granted AcrPull, by a short key that names the grant (`${name}-pull-<key>`), e.g. { kubelet: <object id> }.
     * Default: none.
     */
    pullPrincipalIds?: Record<string, pulumi.Input<string>>;
    /**
     * Other Azure Container Registries, by resource id, that the same principals pull from (workloads with
     * image: { ref, registryId }): each gets AcrPull there, named `${name}-pull-<key>-<registry name>`. Default: none.
     */
    externalRegistryIds?: string[];
}

/** An Azure Container Registry without the admin user: pulls and pushes authenticate with Entra ID. */
export class Registry extends pulumi.ComponentResource {
    public readonly registry: containerregistry.Registry;
    /** The AcrPull assignments by key: pods depend on them, else the first pulls fail with ImagePullBackOff. */
    public readonly pullGrantsByPrincipal: Record<string, authorization.RoleAssignment>;
    /** AcrPull on other registries (externalRegistryIds). */
    public readonly externalPullGrants: authorization.RoleAssignment[];
    /** Every pull grant, as a list to depend on. */
    public readonly pullGrants: authorization.RoleAssignment[];
    public readonly registryId: pulumi.Output<string>;
    public readonly registryName: pulumi.Output<string>;
    /** e.g. myregistry.azurecr.io */
    public readonly loginServer: pulumi.Output<string>;

    constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:azure:Registry", name, {}, opts);
        this.registry = new containerregistry.Registry(
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
        this.pullGrantsByPrincipal = Object.fromEntries(
            Object.entries(args.pullPrincipalIds ?? {}).map(([who, principalId]) => [
                who,
                grantRole(`${name}-pull-${who}`, { principalId, role: "acrPull", scope: this.registry.id }, { parent: this }),
            ]),
        );
        const external = (args.externalRegistryIds ?? []).flatMap((registryId) =>
            Object.entries(args.pullPrincipalIds ?? {}).map(([who, principalId]) =>
                grantRole(`${name}-pull-${who}-${registryId.split("/").pop()!.toLowerCase()}`, { principalId, role: "acrPull", scope: registryId }, { parent: this }),
            ),
        );
        this.externalPullGrants = external;
        this.pullGrants = [...Object.values(this.pullGrantsByPrincipal), ...external];
        this.registryId = this.registry.id;
        this.registryName = this.registry.name;
        this.loginServer = this.registry.loginServer;
        this.registerOutputs({ registry: this.registry, pullGrants: this.pullGrantsByPrincipal, registryId: this.registryId, loginServer: this.loginServer });
    }
}
