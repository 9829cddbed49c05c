/**
 * Every number the burst model uses that is not in the stack's config: named, with its source, or marked ASSUMPTION
 * where nothing authoritative publishes it. `simulate --set name=value` overrides any of them.
 */

export interface Param {
    readonly value: number;
    readonly unit: string;
    /** Where the number comes from; starts with "ASSUMPTION" when it is a guess to be replaced by a measurement. */
    readonly source: string;
}

export const PARAMS = {
    nodeProvisionMedianSeconds: {
        value: 100,
        unit: "s",
        source:
            "ASSUMPTION: median time from the autoscaler's VMSS scale-up call to a Ready node (Spot VM allocation, boot, AKS bootstrap, CNI). " +
            "AKS publishes no figure; replace with `watch` measurements of your region and size",
    },
    nodeProvisionSigma: {
        value: 0.3,
        unit: "log-normal σ",
        source: "ASSUMPTION: spread of the node provisioning time (log-normal, so a long tail of slow VMs)",
    },
    podStartSeconds: {
        value: 15,
        unit: "s",
        source:
            "ASSUMPTION: a pod on a new node from scheduling to its first receive: image pull from ACR (every new node pulls) and container start; " +
            "the worker's own start is ~0.2 s (docs/benchmarks.md: `work --once` spawn → first message done)",
    },
    emptyJobSeconds: {
        value: 2,
        unit: "s",
        source: "consumer `work --once` on an empty queue exits after --wait-ms (docs/worker.md): an over-created Job ends quickly",
    },
    spotFailureRate: {
        value: 0,
        unit: "fraction of requested nodes",
        source: "ASSUMPTION: share of Spot node requests that never come up (no capacity); 0 unless you pass --spot-failure-rate",
    },
    nodeGroupBackoffSeconds: {
        value: 300,
        unit: "s",
        source: "cluster-autoscaler --initial-node-group-backoff-duration default 5m: after a failed scale-up the pool is not scaled up for that long",
    },
    daemonSetCpuMillis: {
        value: 300,
        unit: "millicores",
        source: "ASSUMPTION: CPU requested by AKS's DaemonSets on a worker node (kube-proxy or Cilium, azure-cns, CSI drivers, ip-masq-agent); check `kubectl describe node`",
    },
    daemonSetMemoryMiB: {
        value: 600,
        unit: "MiB",
        source: "ASSUMPTION: memory requested by AKS's DaemonSets on a worker node; check `kubectl describe node`",
    },
    daemonSetPods: {
        value: 8,
        unit: "pods",
        source: "ASSUMPTION: DaemonSet pods per worker node, counted against maxPods",
    },
    sendSeconds: {
        value: 0,
        unit: "s",
        source: "ASSUMPTION: the burst is on the queue at t = 0 (the load Job's send takes ~1–2 s for 1,000 messages: docs/benchmarks.md, producer `send`)",
    },
    sampleSeconds: { value: 1, unit: "s", source: "model time step and sample spacing" },
} as const satisfies Record<string, Param>;

export type ParamName = keyof typeof PARAMS;
export type ParamValues = Record<ParamName, number>;

export function defaultParams(): ParamValues {
    return Object.fromEntries(Object.entries(PARAMS).map(([k, p]) => [k, p.value])) as ParamValues;
}

/** Parses `name=value` overrides; throws naming an unknown parameter or a bad number. */
export function parseParamOverrides(pairs: readonly string[]): Partial<ParamValues> {
    const out: Partial<ParamValues> = {};
    for (const pair of pairs) {
        const [name, text] = pair.split("=");
        if (!(name in PARAMS)) throw new Error(`--set ${pair}: unknown parameter "${name}"; known: ${Object.keys(PARAMS).join(", ")}`);
        const value = Number(text);
        if (text === undefined || !Number.isFinite(value) || value < 0) throw new Error(`--set ${pair}: "${text}" is not a non-negative number`);
        out[name as ParamName] = value;
    }
    return out;
}
