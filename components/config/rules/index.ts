/**
 * Every cross-field rule, each run on its own over whatever config parsed (load.ts runRules): a rule that reads a
 * section with a schema error is skipped, the others still report. Keep rules small so one broken section hides
 * as little as possible.
 */
import type { StackConfig } from "../stack";
import { jobDeadlineRules, podFitRules, pluginNodeLimitRules, spotCapacityRules } from "./capacity";
import { clusterRules } from "./cluster";
import type { RuleContext } from "./context";
import { brokerEffectRules, clusterEffectRules, labelRules, networkEffectRules, noEffectRules, rateRules } from "./effects";
import { kedaRules } from "./keda";
import { kedaVersionRules, kubernetesVersionRules, regionRules } from "./limits";
import { messagingRules } from "./messaging";
import { nameRules } from "./names";
import { outboundRules } from "./outbound";
import { addressCapacityRules, addressOverlapRules, virtualNodeRules } from "./network";
import { poolRules } from "./pools";
import type { Problem } from "./problem";
import { shutdownRules } from "./shutdown";
import { osDiskRules, systemPoolSizeRules, vmSizeRules } from "./vmSizes";
import { spotPlacementRules, workloadRules } from "./workloads";

export type Rule = (cfg: StackConfig, ctx: RuleContext) => Problem[];

export const RULES: readonly Rule[] = [
    virtualNodeRules,
    addressCapacityRules,
    addressOverlapRules,
    poolRules,
    vmSizeRules,
    osDiskRules,
    systemPoolSizeRules,
    clusterRules,
    messagingRules,
    workloadRules,
    spotPlacementRules,
    kedaRules,
    shutdownRules,
    outboundRules,
    regionRules,
    kubernetesVersionRules,
    kedaVersionRules,
    podFitRules,
    spotCapacityRules,
    jobDeadlineRules,
    pluginNodeLimitRules,
    noEffectRules,
    brokerEffectRules,
    networkEffectRules,
    clusterEffectRules,
    labelRules,
    rateRules,
    nameRules,
];

/** Every rule over a complete config (tests and tools); load.ts runs them one by one over partial config. */
export function crossFieldRules(cfg: StackConfig, ctx: RuleContext = { raw: {} }): Problem[] {
    return RULES.flatMap((r) => r(cfg, ctx));
}
