/**
 * Kubernetes-side checks of an existing cluster, run at preview before KEDA's chart: whether another KEDA or metrics
 * adapter already serves the external metrics API (a Helm-installed KEDA is invisible to ARM: only the AKS add-on shows
 * in the managed cluster), and whether the deployer may create what KEDA's chart creates (with Azure RBAC for
 * Kubernetes, the deployer's Azure role assignments decide). Read with the deployer's own kubeconfig: an APIService GET
 * and one SelfSubjectAccessReview per permission, which every authenticated user may create (Kubernetes'
 * system:basic-user role).
 *
 * A dynamic resource whose `check` runs the probe: Pulumi calls Check for every resource on every preview and update,
 * so a failure stops the run before any Kubernetes object is sent (ExistingCluster makes the Kubernetes provider wait
 * for this resource); create/delete do nothing. Mocks never run a dynamic provider: test/existingClusterAccess.test.ts
 * runs the probe and the check against a local Kubernetes API stand-in.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as k8sClient from "@kubernetes/client-node";
// Static imports only: Pulumi serializes the provider's closure (see acrTokenPassword.ts).
import { EXTERNAL_METRICS_APISERVICE, kubernetesProblems, REQUIRED_ACCESS, type KubernetesFacts } from "../plan/existingCluster";

/** Reads the external-metrics APIService and asks one SelfSubjectAccessReview per REQUIRED_ACCESS entry. */
export async function probeKubernetes(kubeconfig: string): Promise<KubernetesFacts> {
    // `require` inside: runs in the provider's serialized closure; the client is an ES module Node ≥ 20.19 can require.
    const k = require("@kubernetes/client-node") as typeof k8sClient;
    const kc = new k.KubeConfig();
    kc.loadFromString(kubeconfig);
    let externalMetrics: KubernetesFacts["externalMetrics"];
    try {
        const a = await kc.makeApiClient(k.ApiregistrationV1Api).readAPIService({ name: EXTERNAL_METRICS_APISERVICE });
        externalMetrics = { service: { namespace: a.spec?.service?.namespace, name: a.spec?.service?.name }, annotations: a.metadata?.annotations ?? {}, labels: a.metadata?.labels ?? {} };
    } catch (e) {
        if (!(e instanceof k.ApiException && e.code === 404)) throw new Error(`could not read APIService ${EXTERNAL_METRICS_APISERVICE}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const authz = kc.makeApiClient(k.AuthorizationV1Api);
    const access = await Promise.all(
        REQUIRED_ACCESS.map(async (a) => {
            const review = await authz.createSelfSubjectAccessReview({
                body: { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: { resourceAttributes: { group: a.group, resource: a.resource, verb: a.verb } } },
            });
            return review.status?.allowed === true;
        }),
    );
    return { externalMetrics, access };
}

/** The preflight resource's inputs: the kubeconfig (a secret) and what the messages name. */
export interface PreflightInputs {
    kubeconfig: string;
    resourceGroupName: string;
    clusterName: string;
    clusterId?: string;
    subscriptionId?: string;
    /** kedascale's KEDA Helm release and its namespace: the one owner of the external metrics API it accepts. */
    release: string;
    namespace: string;
    /** The cluster authorizes Kubernetes by Azure RBAC (aadProfile.enableAzureRBAC): the fix is a role assignment. */
    azureRbac: boolean;
}

export interface PreflightDeps {
    probe(kubeconfig: string): Promise<KubernetesFacts>;
}

/** The problems of the cluster for these inputs (empty: deploy). */
export async function preflightProblems(inputs: PreflightInputs, deps: PreflightDeps): Promise<string[]> {
    const facts = await deps.probe(inputs.kubeconfig);
    return kubernetesProblems(
        facts,
        { resourceGroupName: inputs.resourceGroupName, clusterName: inputs.clusterName, subscriptionId: inputs.subscriptionId, clusterId: inputs.clusterId },
        { release: inputs.release, namespace: inputs.namespace, azureRbac: inputs.azureRbac },
    );
}

export function clusterPreflightProvider(deps: PreflightDeps): pulumi.dynamic.ResourceProvider {
    return {
        async check(_olds: PreflightInputs, news: PreflightInputs) {
            // Unknown during a preview that creates the cluster: nothing to read yet.
            if (typeof news.kubeconfig !== "string" || news.kubeconfig === "") return { inputs: news };
            const problems = await preflightProblems(news, deps);
            return { inputs: news, failures: problems.map((reason) => ({ property: "kubeconfig", reason })) };
        },
        async create(inputs: PreflightInputs) {
            return { id: `${inputs.resourceGroupName}/${inputs.clusterName}/kedascale-preflight`, outs: {} };
        },
        async diff() {
            return { changes: false };
        },
        async delete() {
            /* nothing was created */
        },
    };
}

/** The default provider: the live probe. */
export const defaultClusterPreflightProvider = (): pulumi.dynamic.ResourceProvider => clusterPreflightProvider({ probe: probeKubernetes });
