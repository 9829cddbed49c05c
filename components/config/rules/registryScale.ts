/**
 * A scale-out makes every new node pull the worker image at once. Each pull is one registry read per object: the
 * manifest, the config and each layer (OCI distribution spec); kedascale's worker image has two layers
 * (consumer/Dockerfile: the runtime file system, then the built files), so four reads, and an image of your own with
 * more layers makes more. ACR throttles reads per
 * registry by SKU: Basic 1,000, Standard 3,000, Premium 10,000 ReadOps per minute (azure-management-docs
 * container-registry-skus.md, "Service tier features and limits", as last published with those rows; the current page
 * says only that Premium has the highest "API concurrency and bandwidth throughput"). A throttled pull fails with 429
 * and the kubelet backs off, so nodes sit idle while the queue waits.
 *
 * Artifact streaming is not the answer here: AKS streams only images pulled by tag ("If image pulls are done by
 * digest, you can't use Artifact Streaming": aks-docs artifact-streaming.md), and kedascale deploys the worker by
 * digest so every node runs exactly the image that was built; nor does it stream through imagePullSecrets (the
 * virtual-node pull token). So: warn, and name Premium.
 */
import type { PlatformConfig } from "../schema";
import { peakClusterNodes } from "../../plan/pools";
import { key, warning, type Problem } from "./problem";

export const ACR_READ_OPS_PER_MINUTE = { Basic: 1000, Standard: 3000, Premium: 10000 } as const;
/** Read operations one pull of kedascale's worker image makes: manifest, config and two layers. */
export const MIN_READ_OPS_PER_PULL = 4;

export function registryScaleRules(cfg: PlatformConfig): Problem[] {
    const sku = cfg.registry.sku;
    const nodes = peakClusterNodes(cfg);
    const limit = ACR_READ_OPS_PER_MINUTE[sku];
    if (nodes * MIN_READ_OPS_PER_PULL <= limit) return [];
    return [
        warning(
            [key("registry", "sku"), key("pools")],
            `the pools can reach ${nodes} nodes, each pulling the worker image when it joins (≥ ${MIN_READ_OPS_PER_PULL} read operations a pull, ≥ ${nodes * MIN_READ_OPS_PER_PULL} in a burst), but a ${sku} registry serves about ${limit.toLocaleString("en-US")} ReadOps a minute: pulls past that are throttled (HTTP 429) and new nodes wait in image back-off`,
            `set registry.sku to "Premium" (10,000 ReadOps a minute), or lower the pools' maxCount`,
        ),
    ];
}
