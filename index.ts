/**
 * kedascale composition root: read and validate config (failing before any resource is registered), then build one of
 * two compositions from the components (components/stackArgs.ts maps config → args) and export what operators need:
 *   - components/azureStack.ts: every Azure stack (created or existing AKS cluster, Container Apps, virtual nodes);
 *   - components/localStack.ts: `cluster.local`, a laptop cluster from the kubeconfig with Azurite in it and no Azure
 *     resource at all (issue 16).
 * Every output exists in both (null where it has no meaning), so a stack's output names do not depend on its kind.
 */
import { azureStack } from "./components/azureStack";
import { loadConfig } from "./components/config/load";
import { localStack } from "./components/localStack";

// The project directory: `image: { build }` paths resolve against it, and preflight checks they exist.
const config = loadConfig(__dirname);
const azure = config.cluster.local ? undefined : azureStack(config, __dirname);
const local = config.cluster.local ? localStack(config, __dirname) : undefined;

export const resourceGroup = azure ? azure.resourceGroup : null;
// null, not undefined, in a stack without a cluster: Pulumi warns on undefined outputs.
export const clusterName = azure ? azure.clusterName : null;
export const oidcIssuerUrl = azure ? azure.oidcIssuerUrl : null;
export const registryLoginServer = azure ? azure.registryLoginServer : local!.registryLoginServer;
export const broker = azure ? azure.broker : local!.broker;
export const results = azure ? azure.results : local!.results;
export const workerImage = azure ? azure.workerImage : local!.workerImage;
/** Per workload: the queue or subscription it reads, every grant on it, its image and how it is pulled (docs/bring-your-own-worker.md). */
export const workloads = azure ? azure.workloads : local!.workloads;
/** How to send load and watch scaling, per workload (README: "Send load, watch it scale"). */
export const howTo = azure ? azure.howTo : local!.howTo;
/** Virtual nodes: the ACI workloads' own queue, and when their credentials expire and are next re-issued (`pulumi up`). */
export const virtualNodeAccess = azure ? azure.virtualNodeAccess : null;
/** Nodes and vCPU quota this stack can reach: raise these regional quotas before `pulumi up` (an existing cluster's are its own). */
export const capacity = azure ? azure.capacity : null;
/** The Container Apps jobs, and the cores they need at full scale against the environment's quota (preflight checks it). */
export const containerApps = azure ? azure.containerApps : null;
/** The local stack: the kubeconfig context it deployed to. */
export const kubeContext = local ? local.kubeContext : null;
