/**
 * Azure Container Instances as AKS virtual nodes ("v1", the aciConnectorLinux add-on) see it. Sources, read 2026-08:
 * - ACI per container group: MicrosoftDocs/azure-compute-docs container-instances-resource-and-quota-limits.md
 *   ("Standard Container Resources": 31 vCPU / 240 GB, also in a virtual network; deployments above 4 vCPU / 16 GB
 *   may fail for regional capacity) and its default, raisable quotas (100 standard cores and 100 container groups per
 *   region and subscription; 100 container-group creates per 5 minutes, 300 per hour).
 * - What the connector does with a pod: virtual-kubelet/azure-aci pkg/provider/aci.go (getContainers: CPU requests in
 *   steps of 10 m and memory in steps of 0.1 GB, both rounded down; args without command refused; secretKeyRef env →
 *   ACI secureValue; deleteContainerGroup: "till gracePeriod is supported", the group is deleted at once).
 * - What the add-on refuses: aks-docs virtual-nodes.md "Limitations" (init containers, host aliases, DaemonSets,
 *   PV/PVC, container hooks, managed identities) and azure-aci README "Limitations" (liveness/readiness probes).
 */

/** Largest container group (one pod) on standard ACI, in a virtual network too. */
export const ACI_MAX_GROUP = { cpuMillis: 31_000, memoryGB: 240 } as const;
/** Above this, "deployment failures … may be due to regional capacity limits" (same page): a warning, not an error. */
export const ACI_RELIABLE_GROUP = { cpuMillis: 4_000, memoryGB: 16 } as const;
/** Default per-region, per-subscription quotas (raisable by a support request). */
export const ACI_DEFAULT_QUOTA = { containerGroups: 100, cores: 100, createsPer5Minutes: 100, createsPerHour: 300 } as const;
/** The connector's allocation steps (it rounds requests and limits down to them). */
export const ACI_CPU_STEP_MILLIS = 10;
export const ACI_MEMORY_STEP_BYTES = 100_000_000;
/** ACI's smallest allocation, which the connector substitutes for anything smaller. */
export const ACI_MIN = { cpuMillis: 10, memoryBytes: 100_000_000 } as const;

/**
 * Pod fields the add-on cannot run, each with why (virtual-nodes.md, azure-aci README). The renderer never emits
 * them for a virtual-node workload; test/virtualNodes.test.ts checks every rendered pod against this list.
 */
export const ACI_UNSUPPORTED_POD_FIELDS: readonly { path: string; why: string }[] = [
    { path: "initContainers", why: "init containers are not supported on virtual nodes (aks-docs virtual-nodes.md)" },
    { path: "hostAliases", why: "host aliases are not supported (aks-docs virtual-nodes.md)" },
    { path: "volumes", why: "only emptyDir, Azure Files, secret and configMap volumes exist on ACI and PV/PVC are not supported; the worker needs none" },
    { path: "containers[].livenessProbe", why: "liveness and readiness probes are listed as unsupported (azure-aci README)" },
    { path: "containers[].readinessProbe", why: "liveness and readiness probes are listed as unsupported (azure-aci README)" },
    { path: "containers[].lifecycle", why: "container hooks are not supported (aks-docs virtual-nodes.md)" },
    { path: "containers[].volumeMounts", why: "no volumes (see volumes)" },
];
