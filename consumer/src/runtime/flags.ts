/**
 * The runtime handlers' flags (issue 22): checked together (a setting with no effect is an error, every problem at
 * once) and turned into a handler. The handler modules are imported here on demand, so a worker with a built-in
 * handler never loads them, nor node:child_process (consumer/test/startup.test.ts).
 */
import type { ResolvedFlags } from "../options";
import type { RuntimeHandler } from "./types";

const HTTP_ONLY = [
    ["handlerPort", "--handler-port (KEDASCALE_HANDLER_PORT)"],
    ["handlerPath", "--handler-path (KEDASCALE_HANDLER_PATH)"],
    ["handlerHealthPath", "--handler-health-path (KEDASCALE_HANDLER_HEALTH_PATH)"],
] as const;
const TIMEOUT = ["handlerTimeoutMs", "--handler-timeout-ms (KEDASCALE_HANDLER_TIMEOUT_MS)"] as const;

/** Every problem with the runtime handler settings, as sentences naming the flag, its variable and the fix. */
export function runtimeFlagProblems(r: ResolvedFlags, operands: readonly string[]): string[] {
    const f = r.values;
    const set = (key: string) => r.sources[key] !== undefined && r.sources[key] !== "default";
    const problems: string[] = [];
    const handler = String(f.handler);
    const runtime = handler === "http" || handler === "exec";
    for (const [key, name] of handler === "http" ? [] : HTTP_ONLY) {
        if (set(key)) problems.push(`${name} has no effect with --handler ${handler}: it is for --handler http; drop it`);
    }
    if (!runtime && set(TIMEOUT[0])) problems.push(`${TIMEOUT[1]} has no effect with --handler ${handler}: it is for --handler http or exec; drop it`);
    if (handler === "exec" && operands.length === 0) problems.push("--handler exec needs the command to run after `--`: work --handler exec -- <command> <args…>, e.g. -- python3 handler.py");
    if (handler !== "exec" && operands.length > 0) problems.push(`a command (${operands.join(" ")}) has no effect with --handler ${handler}: it is for --handler exec (or drop it)`);
    if (handler === "http") {
        if (f.handlerPort > 65_535) problems.push(`--handler-port (KEDASCALE_HANDLER_PORT) ${f.handlerPort} is not a TCP port: 1–65535`);
        for (const [key, name] of HTTP_ONLY.slice(1)) if (!String(f[key]).startsWith("/")) problems.push(`${name} '${f[key]}' must start with '/'`);
        if (f.healthPort && f.healthPort === f.handlerPort) problems.push(`--handler-port and --health-port are both ${f.handlerPort}: the worker's own /healthz and your handler need different ports`);
    }
    // Renewal stops at --max-renew-ms: a handler allowed longer could lose its message to another worker mid-request.
    if (runtime && f.handlerTimeoutMs > f.maxRenewMs) {
        problems.push(`--handler-timeout-ms (KEDASCALE_HANDLER_TIMEOUT_MS) ${f.handlerTimeoutMs} is longer than --max-renew-ms ${f.maxRenewMs}: the lock would lapse while the handler still runs; lower the timeout or raise --max-renew-ms`);
    }
    return problems;
}

/** The runtime handler the flags ask for (only call with --handler http or exec, after runtimeFlagProblems). */
export async function runtimeHandler(f: ResolvedFlags["values"], operands: readonly string[], mode: "continuous" | "once" | "drain"): Promise<RuntimeHandler> {
    if (f.handler === "exec") {
        const { execHandler } = await import("./exec");
        return execHandler({ command: operands[0], args: operands.slice(1), timeoutMs: f.handlerTimeoutMs });
    }
    const { httpHandler } = await import("./http");
    return httpHandler({
        port: f.handlerPort,
        path: f.handlerPath,
        healthPath: f.handlerHealthPath,
        timeoutMs: f.handlerTimeoutMs,
        inflight: mode === "once" ? 1 : f.inflight,
        mode,
        readyBudgetMs: f.receiveRetryBudgetMs,
        logEveryMs: f.outageLogEveryMs,
        retryAfterMaxMs: f.releaseBackoffMaxMs,
    });
}
