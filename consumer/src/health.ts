/** /healthz for probes (503 while draining, so no new traffic is routed) and /stats for humans. */
import { createServer, type Server } from "node:http";
import type { Worker } from "./worker";

export function startHealthServer(worker: Worker, port: number): Promise<Server> {
    const server = createServer((req, res) => {
        const body = (status: number, value: unknown) => {
            res.writeHead(status, { "content-type": "application/json" });
            res.end(JSON.stringify(value));
        };
        if (req.url === "/healthz") return body(worker.isStopping ? 503 : 200, { status: worker.isStopping ? "stopping" : "ok", inFlight: worker.inFlight });
        if (req.url === "/stats") return body(200, { inFlight: worker.inFlight, ...worker.stats });
        body(404, { error: "not found" });
    });
    return new Promise((resolve) => server.listen(port, () => resolve(server)));
}
