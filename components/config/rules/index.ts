import type { StackConfig } from "../stack";
import { clusterRules } from "./cluster";
import { messagingRules } from "./messaging";
import { networkRules } from "./network";
import { poolRules } from "./pools";
import type { Problem } from "./problem";
import { workloadRules } from "./workloads";

/** Every cross-field rule over the parsed config, errors and warnings together. */
export function crossFieldRules(cfg: StackConfig): Problem[] {
    return [...networkRules(cfg), ...poolRules(cfg), ...clusterRules(cfg), ...messagingRules(cfg), ...workloadRules(cfg)];
}
