/**
 * Every cross-field rule, each run on its own over whatever config parsed (load.ts runRules): a rule that reads a
 * section with a schema error is skipped, the others still report. Keep rules small so one broken section hides
 * as little as possible.
 */
import { needsCluster } from "../containerApps";
import type { StackConfig } from "../stack";
import { jobDeadlineRules, podFitRules, pluginNodeLimitRules, spotCapacityRules } from "./capacity";
import { autoscalerGraceRules, clusterRules } from "./cluster";
import { CONTAINER_APPS_RULES } from "./containerApps";
import type { RuleContext } from "./context";
import { brokerEffectRules, clusterEffectRules, labelRules, networkEffectRules, noEffectRules, rateRules } from "./effects";
import { existingClusterRules } from "./existingCluster";
import { localClusterRules } from "./localCluster";
import { kedaRules } from "./keda";
import { kedaVersionRules, kubernetesVersionRules, regionRules } from "./limits";
import { messagingRules } from "./messaging";
import { messagingBoundsRules } from "./messagingBounds";
import { nameRules } from "./names";
import { outboundRules } from "./outbound";
import { addressCapacityRules, addressOverlapRules, virtualNodeRules, virtualNodeSubnetCapacityRules } from "./network";
import { poolRules } from "./pools";
import { registryScaleRules } from "./registryScale";
import type { Problem } from "./problem";
import { shutdownRules } from "./shutdown";
import { osDiskRules, systemPoolSizeRules, vmSizeRules } from "./vmSizes";
import { spotPlacementRules, workloadRules } from "./workloads";
import { aciPodRules, virtualNodeMessagingRules, virtualNodePlacementRules } from "./virtualNodes";
import { entityShapeRules, entitySharingRules, removedQueueKeyRules } from "./workloadEntities";
import { workloadCommandRules, workloadImageRules } from "./workloadImage";
import { handlerRules } from "./handler";

export type Rule = (cfg: StackConfig, ctx: RuleContext) => Problem[];

/**
 * A rule about the cluster kedascale creates (its network, pools, tier, egress): with `cluster.existing` there is no
 * such cluster and its settings are refused outright (existingCluster.ts), nor with `cluster.local` (localCluster.ts),
 * so the rule would only judge defaults.
 */
const createdClusterOnly =
    (rule: Rule): Rule =>
    (cfg, ctx) =>
        cfg.cluster.existing || cfg.cluster.local || !needsCluster(cfg) ? [] : rule(cfg, ctx);

/**
 * A rule about KEDA on the cluster: a stack whose every workload runs on Azure Container Apps has no cluster and no
 * KEDA release (containerApps.ts refuses their settings there), so the rule would only judge defaults.
 */
const clusterStackOnly =
    (rule: Rule): Rule =>
    (cfg, ctx) =>
        needsCluster(cfg) ? rule(cfg, ctx) : [];

export const RULES: readonly Rule[] = [
    existingClusterRules,
    localClusterRules,
    ...[
        virtualNodeRules,
        addressCapacityRules,
        virtualNodeSubnetCapacityRules,
        addressOverlapRules,
        poolRules,
        vmSizeRules,
        osDiskRules,
        systemPoolSizeRules,
        registryScaleRules,
        clusterRules,
        autoscalerGraceRules,
        spotPlacementRules,
        outboundRules,
        kubernetesVersionRules,
        podFitRules,
        spotCapacityRules,
        pluginNodeLimitRules,
        networkEffectRules,
        clusterEffectRules,
        labelRules,
    ].map(createdClusterOnly),
    messagingRules,
    messagingBoundsRules,
    workloadRules,
    clusterStackOnly(kedaRules),
    shutdownRules,
    regionRules,
    clusterStackOnly(kedaVersionRules),
    jobDeadlineRules,
    noEffectRules,
    brokerEffectRules,
    rateRules,
    nameRules,
    ...CONTAINER_APPS_RULES,
    virtualNodePlacementRules,
    virtualNodeMessagingRules,
    aciPodRules,
    removedQueueKeyRules,
    entityShapeRules,
    entitySharingRules,
    workloadImageRules,
    workloadCommandRules,
    handlerRules,
];

/** Every rule over a complete config (tests and tools); load.ts runs them one by one over partial config. */
export function crossFieldRules(cfg: StackConfig, ctx: RuleContext = { raw: {} }): Problem[] {
    return RULES.flatMap((r) => r(cfg, ctx));
}
