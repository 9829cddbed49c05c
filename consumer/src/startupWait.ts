/**
 * Waiting at start-up for what is not there yet (issue 23). In the first minutes after `pulumi up` a worker can start
 * before its role assignments have propagated (403: Azure documents up to 10 minutes,
 * learn.microsoft.com/azure/role-based-access-control/troubleshooting#role-assignment-changes-are-not-being-detected),
 * before its federated credential is known to Entra, or before its queue or container exists. Exiting at once makes a
 * Deployment crash-loop with a growing back-off and fails a Job. Instead the start-up check is retried:
 * - continuous mode (Deployments): until it passes, however long; /healthz answers 503 meanwhile;
 * - once/drain (Jobs): within the receive retry budget (--receive-retry-budget-ms), then the last problem is thrown
 *   and the process exits non-zero with it.
 * Each failed check is logged as a warning naming the missing thing and its fix; the same problem is repeated at most
 * every --outage-log-every-ms, a new one at once. A problem waiting cannot fix (isPermanent) fails at once.
 */
import { sleep } from "./broker/abort";
import type { ConnectionOptions } from "./connect";
import { CliError, errorFields, explain } from "./errors";
import { log } from "./log";
import { isPermanent, preflight, type Need, type Note, type PreflightDeps } from "./preflight";

export interface StartupWaitOptions {
    /** How long to keep trying; undefined = until it passes (continuous mode). */
    budgetMs?: number;
    /** Longest pause between two checks (they start at 250 ms and double). */
    backoffMaxMs: number;
    /** The same problem is logged again at most this often. */
    logEveryMs: number;
    /** Told of each problem while waiting, and of undefined once the check passed (the health server). */
    onProblem?: (problem: CliError | undefined) => void;
    deps?: PreflightDeps;
}

/** Pause before check number `attempt` + 1: 250 ms doubling, capped. */
export const startupBackoffMs = (attempt: number, maxMs: number): number => Math.min(maxMs, 250 * 2 ** Math.min(attempt - 1, 10));

/** The start-up check, retried while waiting could help. Resolves when it passes; throws the problem otherwise. */
export async function waitUntilReady(o: ConnectionOptions, needs: readonly Need[], w: StartupWaitOptions, note: Note = () => {}): Promise<void> {
    const since = Date.now();
    let attempt = 0;
    let last: { message: string; loggedAt: number } | undefined;
    for (;;) {
        attempt++;
        try {
            await preflight(o, needs, note, w.deps);
            if (last) log.info("start-up check passed: starting", { waitedMs: Date.now() - since, attempts: attempt });
            w.onProblem?.(undefined);
            return;
        } catch (e) {
            if (isPermanent(e)) throw e;
            const problem = explain(e);
            const waitedMs = Date.now() - since;
            if (w.budgetMs !== undefined && waitedMs >= w.budgetMs) {
                // A budget of 0: no waiting at all, the problem as it is.
                if (attempt === 1) throw problem;
                throw new CliError(`still not ready after ${waitedMs} ms (${attempt} checks; budget --receive-retry-budget-ms ${w.budgetMs}): ${problem.message}`, problem.fix, problem.fields);
            }
            w.onProblem?.(problem);
            const now = Date.now();
            if (!last || last.message !== problem.message || now - last.loggedAt >= w.logEveryMs) {
                last = { message: problem.message, loggedAt: now };
                const until = w.budgetMs === undefined ? "until it is" : `for up to ${w.budgetMs} ms in all`;
                log.warn(`not ready: ${problem.message}; retrying ${until}`, { ...errorFields(problem), waiting: true, attempt, waitedMs });
            }
            // A ref'd timer: nothing else keeps the process alive while it waits.
            const pause = startupBackoffMs(attempt, w.backoffMaxMs);
            await sleep(w.budgetMs === undefined ? pause : Math.min(pause, Math.max(1, w.budgetMs - (Date.now() - since))), undefined, true);
        }
    }
}
