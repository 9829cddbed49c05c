/**
 * The `local` stack's composition (cluster.local, issue 16): a laptop cluster (kind, k3d, minikube, Docker Desktop)
 * from the deployer's kubeconfig, and no Azure resource at all — no resource group, no client-config call, no
 * azure-native provider. Azurite runs in the cluster (LocalAzurite), KEDA is the same Helm release without workload
 * identity, the workloads are the same ScaledWorkloads on the Storage-queue adapter authenticated by the one allowed
 * Secret, and the image goes to a local registry without credentials. index.ts calls this instead of the Azure
 * composition when cluster.local is set.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config/stack";
import { KedaInstall } from "./k8s/kedaInstall";
import { LocalAzurite } from "./k8s/localAzurite";
import { ScaledWorkload } from "./k8s/scaledWorkload";
import { WorkerImage } from "./k8s/workerImage";
import * as args from "./stackArgs";
import { AZURITE_ACCOUNT } from "./plan/localAzurite";
import { workloadSummaries, type WorkloadSummary } from "./plan/workloadSummary";

export interface LocalStackOutputs {
    /** kubeconfig context deployed to ("current" when none is named). */
    kubeContext: string;
    registryLoginServer: string;
    broker: { kind: "storageQueue"; resource: pulumi.Output<string>; endpoint: pulumi.Output<string> };
    results: { account: pulumi.Output<string>; container: pulumi.Output<string> };
    workerImage: pulumi.Output<string>;
    /** Per workload: its queue in Azurite, its image and credential (plan/workloadSummary.ts). */
    workloads: WorkloadSummary[];
    /** Commands to watch scaling and send load, per workload. */
    howTo: { workload: string; watch: string; sendLoad?: string }[];
}

/** `repoRoot`: the image's build context (npm workspaces keep the one lockfile there). */
export function localStack(config: Readonly<StackConfig>, repoRoot: string): LocalStackOutputs {
    const local = config.cluster.local;
    if (!local) throw new Error("localStack needs kedascale:cluster.local");
    const provider = new k8s.Provider("local", args.localProviderArgs(config));
    const namespaces = args.workloadNamespaces({ config }, provider);
    const azurite = new LocalAzurite("azurite", args.localAzuriteArgs(config, provider, namespaces));
    const keda = new KedaInstall("keda", args.localKedaInstallArgs(config, provider));
    const image = new WorkerImage("worker", args.localWorkerImageArgs(config, repoRoot));
    // `image: { build }`: pushed to the same local registry, built for the same CPU.
    const workerArgs = args.localWorkerImageArgs(config, repoRoot);
    const built = new Map(
        args.workloadImageBuilds(config, repoRoot, { loginServer: workerArgs.loginServer, platform: workerArgs.platform }, image.imageDigestRef).map((b) => [b.workload, new WorkerImage(b.resourceName, b.args).imageDigestRef] as const),
    );
    for (const w of config.workloads) {
        new ScaledWorkload(
            args.workloadResourceName(w),
            args.localScaledWorkloadArgs(w, {
                azurite,
                image: args.workloadImageRef(w, image.imageDigestRef, built),
                workerImage: image.imageDigestRef,
                provider,
                kedaRelease: keda.release,
                namespace: namespaces.get(w.namespace),
                // The queue and container must exist before KEDA polls and workers start (the setup Job creates them).
                podPrerequisites: [azurite.setupJob, ...[...azurite.secrets.values()]],
            }),
        );
    }
    return {
        kubeContext: local.kubeconfigContext ?? "current",
        registryLoginServer: local.registry,
        broker: { kind: "storageQueue", resource: azurite.broker.resourceName, endpoint: azurite.broker.endpoint },
        workloads: workloadSummaries(config, { stack: AZURITE_ACCOUNT, virtualNodes: "" }, "local"),
        results: { account: azurite.resultsAccountName, container: azurite.resultsContainerName },
        workerImage: image.imageDigestRef,
        howTo: config.workloads.map((w) => ({
            workload: w.name,
            watch: `kubectl get ${w.kind === "job" ? "scaledjob,jobs" : "scaledobject,hpa,pods"} -n ${w.namespace} -w`,
            ...(w.loadTest ? { sendLoad: `kubectl create job ${w.name}-load-$(date +%s) -n ${w.namespace} --from=cronjob/${w.name}-load` } : {}),
        })),
    };
}
