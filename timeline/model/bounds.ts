/**
 * Which knob bounds the burst: re-run the model with one knob relaxed at a time (same seed) and see how much sooner
 * the burst drains. The knob whose relaxation saves most is the bound; each line says what it costs now.
 */
import { creationSeconds } from "./throttle";
import type { ModelInputs } from "./fromStack";
import type { ParamValues } from "./params";
import { simulate, type SimulationOptions, type SimulationResult } from "./simulate";

export interface Knob {
    readonly name: string;
    /** What the knob is now, and what it is relaxed to. */
    readonly now: string;
    readonly relaxed: string;
    readonly applies: (m: ModelInputs, p: ParamValues) => boolean;
    readonly relax: (m: ModelInputs, p: ParamValues) => { m: ModelInputs; p: ParamValues };
}

const UNLIMITED = 1e9;

export const KNOBS: readonly Knob[] = [
    {
        name: "Job creation (KEDA operator kube API QPS/burst)",
        now: "stack's kedascale:keda.kubeApiQps/kubeApiBurst",
        relaxed: "unlimited",
        applies: (m) => m.workload.kind === "job",
        relax: (m, p) => ({ m: { ...m, keda: { qps: UNLIMITED, burst: UNLIMITED } }, p }),
    },
    {
        name: "KEDA pollingInterval",
        now: "workload pollingInterval",
        relaxed: "1 s",
        applies: () => true,
        relax: (m, p) => ({ m: { ...m, workload: { ...m.workload, pollingInterval: 1 } }, p }),
    },
    {
        name: "cluster autoscaler scanInterval",
        now: "autoscaler scanInterval",
        relaxed: "1 s",
        applies: () => true,
        relax: (m, p) => ({ m: { ...m, autoscaler: { ...m.autoscaler, scanIntervalSeconds: 1 } }, p }),
    },
    {
        name: "node provisioning time",
        now: "nodeProvisionMedianSeconds",
        relaxed: "0 s",
        applies: () => true,
        relax: (m, p) => ({ m, p: { ...p, nodeProvisionMedianSeconds: 0 } }),
    },
    {
        name: "Spot allocation failures",
        now: "spotFailureRate",
        relaxed: "0",
        applies: (_m, p) => p.spotFailureRate > 0,
        relax: (m, p) => ({ m, p: { ...p, spotFailureRate: 0 } }),
    },
    {
        name: "pod start (image pull, container start)",
        now: "podStartSeconds",
        relaxed: "0 s",
        applies: () => true,
        relax: (m, p) => ({ m, p: { ...p, podStartSeconds: 0 } }),
    },
    {
        name: "pool size (maxCount)",
        now: "pool maxCount",
        relaxed: "unlimited",
        applies: () => true,
        relax: (m, p) => ({ m: { ...m, pool: { ...m.pool, maxCount: UNLIMITED } }, p }),
    },
    {
        name: "maxReplicaCount",
        now: "workload maxReplicaCount",
        relaxed: "unlimited",
        applies: () => true,
        relax: (m, p) => ({ m: { ...m, workload: { ...m.workload, maxReplicaCount: UNLIMITED } }, p }),
    },
];

export interface KnobEffect {
    readonly knob: string;
    readonly relaxed: string;
    readonly drainedAt?: number;
    /** Seconds sooner the burst drains with this knob relaxed. */
    readonly saves: number;
}

export interface BoundReport {
    readonly base: SimulationResult;
    readonly effects: readonly KnobEffect[];
    /** The knob whose relaxation saves most; undefined when none saves a second (the work itself bounds it). */
    readonly bound?: KnobEffect;
    /** "Job creation: 49 s at QPS 20; 9 s at 100" for ScaledJobs. */
    readonly creationLine?: string;
}

const DEFAULT_QPS = { qps: 20, burst: 30 }; // KEDA operator defaults (cmd/operator/main.go; FACTS §9)

export function boundingKnob(m: ModelInputs, p: ParamValues, opts: SimulationOptions): BoundReport {
    const base = simulate(m, p, opts);
    const horizon = opts.horizonSeconds ?? 6 * 3600;
    const baseDrain = base.drainedAt ?? horizon;
    const effects: KnobEffect[] = [];
    for (const knob of KNOBS) {
        if (!knob.applies(m, p)) continue;
        const r = knob.relax(m, p);
        const run = simulate(r.m, r.p, opts);
        effects.push({ knob: knob.name, relaxed: knob.relaxed, drainedAt: run.drainedAt, saves: Math.max(0, baseDrain - (run.drainedAt ?? horizon)) });
    }
    effects.sort((a, b) => b.saves - a.saves);
    const bound = effects[0] && effects[0].saves >= 1 ? effects[0] : undefined;
    let creationLine: string | undefined;
    if (m.workload.kind === "job") {
        const n = Math.min(base.jobsCreated, m.workload.maxReplicaCount);
        const at = (q: { qps: number; burst: number }) => `${Math.ceil(creationSeconds(n, q.qps, q.burst))} s at QPS ${q.qps}/burst ${q.burst}`;
        const stackQ = { qps: m.keda.qps, burst: m.keda.burst };
        creationLine =
            stackQ.qps === DEFAULT_QPS.qps && stackQ.burst === DEFAULT_QPS.burst
                ? `Job creation (${n} Jobs): ${at(stackQ)} (KEDA's defaults); ${at({ qps: 100, burst: 150 })}`
                : `Job creation (${n} Jobs): ${at(DEFAULT_QPS)} (KEDA's defaults); ${at(stackQ)} (this stack)`;
    }
    return { base, effects, bound, creationLine };
}
