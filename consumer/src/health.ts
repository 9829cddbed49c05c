/**
 * The worker's HTTP probes:
 * - /healthz (readiness): 503 while the start-up check waits for what is not there yet (a queue, a container, a role
 *   assignment still propagating: startupWait.ts) and while draining; 200 once the worker runs.
 * - /livez (liveness): 200 while the process answers, waiting included. A liveness probe on /healthz would restart
 *   a pod that is only waiting for its role assignment — the crash-loop the wait exists to avoid.
 * - /stats for humans.
 */
import { createServer } from "node:http";
import type { CliError } from "./errors";
import type { Worker } from "./worker";

export interface HealthServer {
    /** The running worker: /healthz follows it from now on. */
    setWorker(worker: Worker): void;
    /** What the start-up check waits for (undefined once it passed). */
    setProblem(problem: CliError | undefined): void;
    close(): void;
}

export function startHealthServer(port: number): Promise<HealthServer> {
    let worker: Worker | undefined;
    let problem: CliError | undefined;
    const server = createServer((req, res) => {
        const body = (status: number, value: unknown) => {
            res.writeHead(status, { "content-type": "application/json" });
            res.end(JSON.stringify(value));
        };
        if (req.url === "/livez") return body(200, { status: "alive" });
        if (req.url === "/healthz") {
            if (!worker) return body(503, { status: "starting", ...(problem ? { waitingFor: problem.message, fix: problem.fix } : {}) });
            // Not ready while the worker waits for its HTTP handler: it receives nothing until the handler answers.
            const waiting = worker.waitingForHandler;
            return body(worker.isStopping || waiting ? 503 : 200, { status: worker.isStopping ? "stopping" : waiting ? "waiting for handler" : "ok", inFlight: worker.inFlight });
        }
        if (req.url === "/stats") return body(200, worker ? { inFlight: worker.inFlight, ...worker.stats } : { status: "starting" });
        body(404, { error: "not found" });
    });
    const handle: HealthServer = {
        setWorker: (w) => void (worker = w),
        setProblem: (p) => void (problem = p),
        close: () => void server.close(),
    };
    return new Promise((resolve) => server.listen(port, () => resolve(handle)));
}
