/**
 * Handlers for the runtime's tests, written by the test into a temp folder and run as real processes:
 * - an HTTP handler (a small Node server) the worker POSTs to, restarted like a container when it crashes;
 * - an exec handler (a POSIX shell script) the worker runs per message.
 * Each does what the message body asks (`{"key": "...", "act": "...", "n": N, …}`: fail, reject, throttle, hang,
 * crash, slow… for the first N deliveries, then succeed) and appends what it answered to a ledger (JSON lines), so
 * a test can hold the worker to its word: every completion had a 2xx / exit 0, nothing acknowledged was parked,
 * nothing was lost.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./azurite";

export interface LedgerEntry {
    t: number;
    key?: string;
    /** CloudEvents id (ce-id / CE_ID): the broker's message id. */
    id?: string;
    delivery?: number;
    act?: string;
    /** HTTP status answered, or "hang" / "crash" (no answer). */
    status?: number | string;
    /** exec: the exit code. */
    exit?: number;
    headers?: Record<string, string>;
    sha?: string;
    started?: boolean;
}

function readLedger(file: string): LedgerEntry[] {
    if (!existsSync(file)) return [];
    return readFileSync(file, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as LedgerEntry);
}

const HTTP_HANDLER = String.raw`
const http = require("node:http");
const fs = require("node:fs");
const crypto = require("node:crypto");
const port = Number(process.env.PORT);
const ledger = process.env.LEDGER;
const readyAt = Date.now() + Number(process.env.READY_AFTER_MS || 0);
const never = process.env.NEVER_READY === "1";
const rec = (o) => fs.appendFileSync(ledger, JSON.stringify({ t: Date.now(), ...o }) + "\n");
const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url === "/healthz") {
        const ok = !never && Date.now() >= readyAt;
        return res.writeHead(ok ? 200 : 503).end();
    }
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
        const body = Buffer.concat(chunks);
        const h = req.headers;
        let m = {};
        try { m = JSON.parse(body.toString("utf8")); } catch {}
        const e = { key: m.key, id: h["ce-id"], delivery: Number(h["ce-deliverycount"]), act: m.act, path: req.method + " " + req.url,
            headers: Object.fromEntries(Object.entries(h).filter(([k]) => k.startsWith("ce-") || k === "content-type")),
            sha: crypto.createHash("sha256").update(body).digest("hex") };
        const first = e.delivery <= (m.n ?? 1);
        const answer = (status, headers = {}, text = "") => { rec({ ...e, status }); res.writeHead(status, headers).end(text); };
        switch (m.act) {
            case "fail": return first ? answer(503, {}, "try later") : answer(200);
            case "error500": return first ? answer(500, {}, "boom") : answer(200);
            case "reject": return answer(422, {}, "cannot process " + m.key + ": bad input");
            case "throttle": return first ? answer(429, { "retry-after": String(m.after ?? 2) }) : answer(200);
            case "timeout408": return first ? answer(408) : answer(200);
            case "hang": if (first) return rec({ ...e, status: "hang" }); return answer(200);
            case "crash": if (first) { rec({ ...e, status: "crash" }); process.exit(3); } return answer(200);
            case "slow": return setTimeout(() => answer(200), m.ms ?? 2000);
            default: return answer(200);
        }
    });
});
server.keepAliveTimeout = Number(process.env.KEEP_ALIVE_MS || 5000);
server.listen(port, "127.0.0.1", () => rec({ started: true }));
`;

export interface HttpHandlerProcess {
    readonly port: number;
    ledger(): LedgerEntry[];
    /** Times it crashed and was restarted. */
    readonly restarts: number;
    stop(): Promise<void>;
}

/** Starts the HTTP handler; like a container with restartPolicy Always, it is restarted 300 ms after it exits. */
export async function startHttpHandler(o: { readyAfterMs?: number; neverReady?: boolean; restart?: boolean; port?: number; keepAliveMs?: number } = {}): Promise<HttpHandlerProcess> {
    const dir = mkdtempSync(join(tmpdir(), "kedascale-http-handler-"));
    const script = join(dir, "handler.cjs");
    const ledgerFile = join(dir, "ledger.jsonl");
    writeFileSync(script, HTTP_HANDLER);
    const port = o.port ?? (await freePort());
    let proc: ChildProcess | undefined;
    let stopped = false;
    let restarts = 0;
    const env = { ...process.env, PORT: String(port), LEDGER: ledgerFile, READY_AFTER_MS: String(o.readyAfterMs ?? 0), NEVER_READY: o.neverReady ? "1" : "0", KEEP_ALIVE_MS: String(o.keepAliveMs ?? 5000) };
    const start = () => {
        proc = spawn(process.execPath, [script], { env, stdio: "ignore" });
        proc.once("exit", () => {
            if (stopped || o.restart === false) return;
            restarts++;
            setTimeout(() => !stopped && start(), 300);
        });
    };
    start();
    return {
        port,
        ledger: () => readLedger(ledgerFile),
        get restarts() {
            return restarts;
        },
        async stop() {
            stopped = true;
            if (proc && proc.exitCode === null && proc.signalCode === null) {
                const gone = new Promise((r) => proc!.once("exit", r));
                proc.kill("SIGKILL");
                await gone;
            }
            rmSync(dir, { recursive: true, force: true });
        },
    };
}

/**
 * The exec handler: a POSIX shell script. `hang` starts a grandchild (`sleep <marker>`) and waits on another: the
 * worker must kill the whole process group, grandchild included (`leftovers()` finds processes by the marker).
 */
const EXEC_HANDLER = String.raw`#!/bin/sh
body=$(cat)
field() { printf '%s' "$body" | sed -n "s/.*\"$1\":\"\{0,1\}\([A-Za-z0-9._-]*\).*/\1/p"; }
key=$(field key); act=$(field act); n=$(field n); n=\${n:-1}
led() { printf '{"t":%s,"key":"%s","id":"%s","delivery":%s,"act":"%s","exit":%s,"sha":"%s"}\n' "$(date +%s%3N)" "$key" "$CE_ID" "$CE_DELIVERYCOUNT" "$act" "$1" "$(printf '%s' "$body" | sha256sum | cut -c1-64)" >> "$LEDGER"; }
first=0; [ "$CE_DELIVERYCOUNT" -le "$n" ] && first=1
case "$act" in
  fail) if [ $first = 1 ]; then led 1; echo "transient failure for $key" >&2; exit 1; fi ;;
  reject) led 65; echo "cannot process $key: bad input" >&2; exit 65 ;;
  hang) if [ $first = 1 ]; then led '"hang"'; sleep "$MARKER" & sleep "$MARKER"; fi ;;
  crash) if [ $first = 1 ]; then led '"crash"'; kill -9 $$; fi ;;
  slow) sleep "$n" ;;
  noisy) i=0; while [ $i -lt 3000 ]; do echo "noisy output line $i of $key"; i=$((i+1)); done ;;
  env) env | grep -E '^(CE_|KEDASCALE_)' | sort > "$LEDGER.env" ;;
esac
led 0
echo "done $key"
exit 0
`;

export interface ExecHandlerScript {
    /** The command line to put after `work --handler exec --`. */
    readonly command: string[];
    /** Environment the worker must be started with (the script reads LEDGER and MARKER from it). */
    readonly env: Record<string, string>;
    ledger(): LedgerEntry[];
    /** What `act: env` saw: its CE_* and KEDASCALE_* variables, one `NAME=value` per line. */
    seenEnv(): string;
    /** Processes still running the hang marker (the process group kill must leave none). */
    leftovers(): number[];
    dispose(): void;
}

export function writeExecHandler(): ExecHandlerScript {
    const dir = mkdtempSync(join(tmpdir(), "kedascale-exec-handler-"));
    const script = join(dir, "handler.sh");
    const ledgerFile = join(dir, "ledger.jsonl");
    // A sleep length nobody else uses, to find leftovers by their command line.
    const marker = String(3000 + Math.floor(Math.random() * 5000));
    writeFileSync(script, EXEC_HANDLER.replace(/\\\$/g, "$"));
    chmodSync(script, 0o755);
    const leftovers = () =>
        readdirSync("/proc")
            .filter((p) => /^\d+$/.test(p))
            .filter((p) => {
                try {
                    return readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").join(" ").trim() === `sleep ${marker}`;
                } catch {
                    return false;
                }
            })
            .map(Number);
    return {
        command: [script],
        env: { LEDGER: ledgerFile, MARKER: marker },
        ledger: () => readLedger(ledgerFile),
        seenEnv: () => (existsSync(`${ledgerFile}.env`) ? readFileSync(`${ledgerFile}.env`, "utf8") : ""),
        leftovers,
        dispose: () => {
            for (const pid of leftovers()) {
                try {
                    process.kill(pid, "SIGKILL");
                } catch {
                    // gone
                }
            }
            rmSync(dir, { recursive: true, force: true });
        },
    };
}

/** A work message for these handlers: what to do, and for how many deliveries. */
export function act(key: string, what: string, extra: Record<string, unknown> = {}): { id: string; body: string } {
    return { id: key, body: JSON.stringify({ key, act: what, ...extra }) };
}
