import * as app from "@pulumi/azure-native/app";
import * as monitor from "@pulumi/azure-native/monitor";
import * as network from "@pulumi/azure-native/network";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as pulumi from "@pulumi/pulumi";
import { CONSUMPTION_PROFILE, SUBNET_DELEGATION } from "../limits/containerApps";
import { ACA_SUBNET } from "../plan/containerAppsNames";

export interface ContainerAppsEnvironmentArgs {
    /** Resource group for the environment and its Log Analytics workspace. */
    resourceGroupName: pulumi.Input<string>;
    /** Azure region. */
    location: pulumi.Input<string>;
    /** Azure name of the managed environment (2–60 letters, digits and '-'). */
    environmentName: string;
    /** Azure name of the Log Analytics workspace the jobs' logs go to (4–63 letters, digits and '-'). */
    workspaceName: string;
    /** Days the workspace keeps logs (PerGB2018: 30–730). Default: 30. */
    logRetentionDays?: number;
    /** VNet integration. Default: none, the environment gets an Azure-managed network. */
    vnetIntegration?: {
        /** Name of the VNet the environment's subnet goes in. */
        vnetName: pulumi.Input<string>;
        /** Create the VNet with this address space. Default: the VNet exists (the stack's Network). */
        createVnetCidr?: string;
        /** Subnet range inside the VNet, at least a /27 (workload-profiles environments), dedicated to the environment. */
        subnetCidr: string;
        /** What the subnet waits for: two subnet writes on one VNet at once fail with AnotherOperationInProgress. Default: none. */
        dependsOn?: pulumi.Resource[];
    };
}

/**
 * A workload-profiles Container Apps environment with only the Consumption profile (serverless, per-second billing,
 * 100 cores by default: FACTS §7), optionally in our VNet, its console and system logs routed to a Log Analytics
 * workspace through Azure Monitor.
 *
 * Logs without a secret: the `log-analytics` destination takes the workspace's customer id *and shared key*
 * (AppLogsConfigurationArgs.logAnalyticsConfiguration.sharedKey), a credential in the environment's inputs. The
 * `azure-monitor` destination plus a diagnostic setting on the environment sends the same tables
 * (ContainerAppConsoleLogs, ContainerAppSystemLogs) with no key at all (container-apps log-options.md), so the
 * workspace can also refuse shared-key ingestion (features.disableLocalAuth).
 */
export class ContainerAppsEnvironment extends pulumi.ComponentResource {
    public readonly workspace: operationalinsights.Workspace;
    public readonly environment: app.ManagedEnvironment;
    public readonly diagnostics: monitor.DiagnosticSetting;
    /** Only when the component created the VNet (vnetIntegration.createVnetCidr). */
    public readonly vnet?: network.VirtualNetwork;
    /** The environment's subnet, delegated to Microsoft.App/environments; only with vnetIntegration. */
    public readonly subnet?: network.Subnet;
    /** Resource id jobs are created in (JobArgs.environmentId). */
    public readonly environmentId: pulumi.Output<string>;
    /** Workload profile every job of this environment runs on. */
    public readonly workloadProfileName: string = CONSUMPTION_PROFILE.name;

    constructor(name: string, args: ContainerAppsEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:aca:ContainerAppsEnvironment", name, {}, opts);
        const base = { resourceGroupName: args.resourceGroupName, location: args.location };

        this.workspace = new operationalinsights.Workspace(
            `${name}-logs`,
            {
                ...base,
                workspaceName: args.workspaceName,
                sku: { name: "PerGB2018" },
                retentionInDays: args.logRetentionDays ?? 30,
                // Ingestion comes through a diagnostic setting (Entra-authenticated platform pipeline), never with the workspace key.
                features: { disableLocalAuth: true },
            },
            { parent: this },
        );

        const vi = args.vnetIntegration;
        if (vi) {
            if (vi.createVnetCidr) {
                this.vnet = new network.VirtualNetwork(
                    `${name}-vnet`,
                    { ...base, virtualNetworkName: vi.vnetName, addressSpace: { addressPrefixes: [vi.createVnetCidr] } },
                    // Subnets are separate resources; the VNet must not try to own (and so delete) them.
                    { parent: this, ignoreChanges: ["subnets"] },
                );
            }
            this.subnet = new network.Subnet(
                `${name}-subnet`,
                {
                    resourceGroupName: args.resourceGroupName,
                    virtualNetworkName: this.vnet ? this.vnet.name : vi.vnetName,
                    subnetName: ACA_SUBNET,
                    addressPrefix: vi.subnetCidr,
                    // A workload-profiles environment needs its subnet delegated (container-apps custom-virtual-networks.md).
                    delegations: [{ name: "container-apps", serviceName: SUBNET_DELEGATION }],
                },
                { parent: this, dependsOn: vi.dependsOn ?? [] },
            );
        }

        this.environment = new app.ManagedEnvironment(
            `${name}-env`,
            {
                ...base,
                environmentName: args.environmentName,
                workloadProfiles: [{ ...CONSUMPTION_PROFILE }],
                appLogsConfiguration: { destination: "azure-monitor" },
                ...(this.subnet
                    ? // Jobs have no ingress, so `internal` only decides whether a public IP resource is created: none needed.
                      { vnetConfiguration: { infrastructureSubnetId: this.subnet.id, internal: true } }
                    : {}),
            },
            { parent: this },
        );

        this.diagnostics = new monitor.DiagnosticSetting(
            `${name}-diagnostics`,
            {
                name: "logs-to-workspace",
                resourceUri: this.environment.id,
                workspaceId: this.workspace.id,
                // Resource-specific tables (ContainerAppConsoleLogs, ContainerAppSystemLogs), not AzureDiagnostics.
                logAnalyticsDestinationType: "Dedicated",
                logs: [{ categoryGroup: "allLogs", enabled: true }],
            },
            { parent: this },
        );

        this.environmentId = this.environment.id;
        this.registerOutputs({ environmentId: this.environmentId, workspaceId: this.workspace.id });
    }
}
