/** Summaries of repeated trials (the median is the figure, min and max show the spread) and interleaved A/B runs. */
export interface Summary {
    median: number;
    min: number;
    max: number;
    trials: number;
}

export function summarize(values: number[], digits = 2): Summary {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    return { median: round(median, digits), min: round(sorted[0], digits), max: round(sorted.at(-1)!, digits), trials: values.length };
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Runs every variant once per trial, in an order rotated each trial (A B C, B C A, C A B, …), so drift of a shared
 * machine (other load, Azurite warming up, its database growing) lands on every variant alike instead of on whichever
 * ran in the worse block. Ratios are then taken trial by trial (ratioOf), never between medians of separate blocks.
 */
export async function interleaved<K extends string, T>(trials: number, variants: Record<K, () => Promise<T>>): Promise<Record<K, T[]>> {
    const names = Object.keys(variants) as K[];
    const out = Object.fromEntries(names.map((n) => [n, [] as T[]])) as Record<K, T[]>;
    for (let t = 0; t < trials; t++) {
        for (let i = 0; i < names.length; i++) {
            const name = names[(i + t) % names.length];
            out[name].push(await variants[name]());
        }
    }
    return out;
}

/** Per-trial ratios a[i] / b[i] of one figure, summarised. */
export function ratioOf<T>(a: T[], b: T[], figure: (x: T) => number): Summary {
    return summarize(a.map((x, i) => figure(x) / figure(b[i])));
}
