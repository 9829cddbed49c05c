/**
 * The bench's HTTP handler (bench/runtime.ts): the trivial work of the worker's in-process `noop` handler — read the
 * body, parse it — then 200. A separate process, as in the pod; preloaded with bench/probe.cjs so it measures itself,
 * and exits 0 on SIGTERM so the probe writes its line.
 */
"use strict";
const http = require("node:http");

const server = http.createServer((req, res) => {
    if (req.method === "GET") return res.writeHead(200).end();
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
        try {
            JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
            // not JSON: still done (the noop handler would park it; the bench sends only JSON)
        }
        res.writeHead(200, { "content-length": "0" }).end();
    });
});
server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
