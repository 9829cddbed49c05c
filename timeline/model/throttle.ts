/**
 * The KEDA operator's client-side rate limit: client-go's token bucket (flowcontrol.NewTokenBucketRateLimiter(qps,
 * burst)), which starts full — `burst` calls go at once, then one every 1/qps s. KEDA sets it from --kube-api-qps /
 * --kube-api-burst (cmd/operator/main.go, defaults 20/30; FACTS §9). Each Job is one Create call (scale_jobs.go
 * createJobs); the controller-runtime client reads Jobs and pods from its cache, so the counts cost no tokens.
 */
export class TokenBucket {
    private tokens: number;
    private at = 0;

    constructor(
        readonly qps: number,
        readonly burst: number,
    ) {
        this.tokens = burst;
    }

    /** Time (s) at which a call asked for at `now` goes out; takes its token. Calls are served in order. */
    take(now: number): number {
        const t = Math.max(now, this.at);
        this.tokens = Math.min(this.burst, this.tokens + (t - this.at) * this.qps);
        this.at = t;
        if (this.tokens >= 1) {
            this.tokens -= 1;
            return t;
        }
        const wait = (1 - this.tokens) / this.qps;
        this.at = t + wait;
        this.tokens = 0;
        return this.at;
    }
}

/** Seconds from the first to the last of `n` calls made at once through a full bucket: max(0, n − burst) / qps. */
export function creationSeconds(n: number, qps: number, burst: number): number {
    return Math.max(0, n - burst) / qps;
}
