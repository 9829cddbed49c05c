/**
 * Waiting for the handler before receiving (issue 22 point 2), the way the worker waits for a broker that is down:
 * a probe every 250 ms growing to 2 s; the first failure said once, a reminder every `logEveryMs`, the recovery said.
 * A continuous worker (a Deployment, the handler a second container that may start later or restart) waits for as
 * long as it takes; a Job (`--once`/`--drain`) gives up past `budgetMs` and the process exits non-zero, so Kubernetes
 * retries the Job. Nothing is received meanwhile, so no message spends a delivery on a handler that is not there.
 */
import { sleep } from "../broker/abort";
import { CliError } from "../errors";
import { log } from "../log";

export interface WaitOptions {
    /** What is waited for, for the log: "the HTTP handler at http://127.0.0.1:8080/healthz". */
    what: string;
    mode: "continuous" | "once" | "drain";
    /** Job modes: give up after this long (the worker's --receive-retry-budget-ms). */
    budgetMs: number;
    logEveryMs: number;
    /** Where to look and how to fix it, for the error a Job exits with. */
    fix: string;
}

const probeDelayMs = (attempt: number) => Math.min(2000, 250 * 2 ** Math.min(attempt - 1, 3));

/**
 * Runs `probe` until it resolves with undefined (ready); a string is why it is not ready yet. Resolves early, without
 * error, when `signal` aborts (the worker is stopping and receives nothing more anyway).
 */
export async function waitForHandler(probe: (signal: AbortSignal) => Promise<string | undefined>, o: WaitOptions, signal: AbortSignal): Promise<void> {
    const since = Date.now();
    let loggedAt = 0;
    for (let attempt = 1; !signal.aborted; attempt++) {
        const problem = await probe(signal);
        if (problem === undefined) {
            if (attempt > 1) log.info("handler ready", { handler: o.what, waitedMs: Date.now() - since, attempts: attempt });
            return;
        }
        const now = Date.now();
        const fields = { handler: o.what, problem, attempt, waitingForMs: now - since };
        if (attempt === 1) (log.warn("waiting for the handler before receiving", fields), (loggedAt = now));
        else if (now - loggedAt >= o.logEveryMs) (log.warn("handler still not ready", fields), (loggedAt = now));
        if (o.mode !== "continuous" && now - since >= o.budgetMs) {
            throw new CliError(`${o.what} was not ready after ${now - since} ms (${attempt} attempts; budget ${o.budgetMs} ms): ${problem}`, o.fix, { handler: o.what });
        }
        await sleep(probeDelayMs(attempt), signal, true);
    }
}
