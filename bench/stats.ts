/** Summaries of repeated trials: the median is the figure, min and max show the spread. */
export interface Summary {
    median: number;
    min: number;
    max: number;
    trials: number;
}

export function summarize(values: number[]): Summary {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    return { median: round(median), min: round(sorted[0]), max: round(sorted.at(-1)!), trials: values.length };
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export async function trials(n: number, once: () => Promise<number>): Promise<Summary> {
    const values: number[] = [];
    for (let i = 0; i < n; i++) values.push(await once());
    return summarize(values);
}
