/** The burst model's seeded randomness: the phase of KEDA's, the HPA's and the autoscaler's loops, provisioning times, Spot failures. */

/** mulberry32: small, seedable, good enough to draw provisioning times; one stream per purpose. */
export function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** Log-normal around `median` (σ in log space): node provisioning times have a long tail of slow VMs. */
export function logNormal(rand: () => number, median: number, sigma: number): number {
    const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    return median * Math.exp(sigma * z);
}
