/**
 * How much faster than the stack's own clock an emulation runs. KEDA's polling interval sets the pace of everything
 * it does, so the default puts one poll every WALL_POLL_SECONDS of wall time (never slower than real time): scale1000's
 * 30 s polls run every 2 s, its 300 s cooldown in 20 s.
 */
export const WALL_POLL_SECONDS = 2;

export function timeScaleFor(pollingInterval: number): number {
    return Math.min(1, WALL_POLL_SECONDS / Math.max(pollingInterval, 1e-9));
}

/** "1/15", "0.0667" → a factor in (0, 1]. */
export function parseTimeScale(text: string): number {
    const m = /^1\/(\d+(?:\.\d+)?)$/.exec(text.trim());
    const v = m ? 1 / Number(m[1]) : Number(text);
    if (!Number.isFinite(v) || v <= 0 || v > 1) throw new Error(`--time-scale ${text}: expected a factor in (0, 1], e.g. 1/15 or 0.1`);
    return v;
}

