/**
 * What the runtime handlers cost (issue 22 point 7), against the in-process handler doing the same trivial work at the
 * same in-flight: the worker's built-in `noop` handler (parse the body, nothing else) vs `--handler http` with a
 * handler that reads the body and answers 200 (bench/runtimeHandler.cjs, a separate Node process beside the worker,
 * as in the pod), and `--handler exec -- /bin/true` (a process per message, for scale only: no target).
 *
 * - steady state on the queue stand-in (bench/queueStandIn.ts), in-flight 32, interleaved: msg/s and CPU per message
 *   of the worker, of the handler, and of both (the pod); peak RSS of each (VmHWM), their sum the pod's upper bound;
 * - the same drain from Azurite (Azurite-bound);
 * - keep-alive: the same POSTs at 32 in flight to the same handler through node:http with a keep-alive agent vs a
 *   connection per request, CPU per request of client and handler;
 * - the Job-mode cold start and peak RSS of `work --once` (results handler) against the worker as it was before
 *   (the last commit's consumer, built the same way: bench/baseline.ts): a Job with a built-in handler loads none of
 *   the runtime's files, so this must not move.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { freePort } from "../consumer/test/support/azurite";
import { BUNDLE } from "../consumer/test/support/processes";
import { fill, freshQueue, standInDrain, workerDrainArgs, type BenchSizes, type Env } from "./measure";
import { ok, PROBE, runProbed, type Sample } from "./spawn";
import { interleaved, ratioOf, round, summarize, type Summary } from "./stats";

const HANDLER = join(__dirname, "runtimeHandler.cjs");

interface ProbeLine {
    peakRssKiB: number;
    userUs: number;
    systemUs: number;
}

/** The trivial HTTP handler as its own measured process; stop() ends it and returns what it measured of itself. */
async function startHandler(): Promise<{ port: number; stop(): Promise<{ cpuMs: number; peakRssMiB: number }> }> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "kedascale-bench-handler-"));
    const file = join(dir, "probe.jsonl");
    const proc = spawn(process.execPath, ["-r", PROBE, HANDLER], { env: { ...process.env, PORT: String(port), BENCH_PROBE_FILE: file }, stdio: ["ignore", "ignore", "inherit"] });
    const exited = new Promise<void>((r) => proc.once("exit", () => r()));
    // Ready when it answers.
    for (let i = 0; ; i++) {
        const up = await new Promise<boolean>((r) => request({ host: "127.0.0.1", port, path: "/healthz", agent: false }, (res) => (res.resume(), r(true))).on("error", () => r(false)).end());
        if (up) break;
        if (i > 100) throw new Error("the bench's HTTP handler did not start");
        await new Promise((r) => setTimeout(r, 50));
    }
    return {
        port,
        async stop() {
            proc.kill("SIGTERM");
            await exited;
            const p = JSON.parse(readFileSync(file, "utf8").trim().split("\n").at(-1)!) as ProbeLine;
            rmSync(dir, { recursive: true, force: true });
            return { cpuMs: (p.userUs + p.systemUs) / 1000, peakRssMiB: p.peakRssKiB / 1024 };
        },
    };
}

interface PodSample extends Sample {
    handlerCpuMs: number;
    handlerPeakRssMiB: number;
}

/** One drain with an HTTP handler beside the worker: the worker's sample plus the handler's own figures. */
async function withHandler(run: (port: number) => Promise<Sample>): Promise<PodSample> {
    const h = await startHandler();
    let s: Sample;
    try {
        s = await run(h.port);
    } catch (e) {
        await h.stop();
        throw e;
    }
    const m = await h.stop();
    return { ...s, handlerCpuMs: m.cpuMs, handlerPeakRssMiB: m.peakRssMiB };
}

const httpArgs = (port: number) => workerDrainArgs(32, { handler: "http", extra: ["--handler-port", String(port)] });
const execArgs = () => workerDrainArgs(32, { handler: "exec", extra: ["--", "/bin/true"] });

export interface RuntimeDrain {
    msgPerSec: Summary;
    /** The worker process alone. */
    workerCpuMsPerMsg: Summary;
    /** Worker + handler process: the pod. */
    podCpuMsPerMsg: Summary;
    workerPeakRssMiB: Summary;
    handlerPeakRssMiB?: Summary;
    /** Worker peak + handler peak: the pod's peak at most. */
    podPeakRssMiB: Summary;
}

const figure = (xs: (Sample & Partial<PodSample>)[], n: number): RuntimeDrain => ({
    msgPerSec: summarize(xs.map((x) => n / (x.ms / 1000)), 1),
    workerCpuMsPerMsg: summarize(xs.map((x) => x.cpuMs / n), 3),
    podCpuMsPerMsg: summarize(xs.map((x) => (x.cpuMs + (x.handlerCpuMs ?? 0)) / n), 3),
    workerPeakRssMiB: summarize(xs.map((x) => x.peakRssMiB), 1),
    ...(xs[0].handlerPeakRssMiB !== undefined ? { handlerPeakRssMiB: summarize(xs.map((x) => x.handlerPeakRssMiB!), 1) } : {}),
    podPeakRssMiB: summarize(xs.map((x) => x.peakRssMiB + (x.handlerPeakRssMiB ?? 0)), 1),
});

export interface RuntimeCost {
    date: string;
    standIn: {
        messages: number;
        variants: { inProcess: RuntimeDrain; http: RuntimeDrain };
        /** http − in-process, worker CPU per message, trial by trial (target ≤ 0.15 ms). */
        extraWorkerCpuMsPerMsg: Summary;
        /** http − in-process, pod CPU (worker + handler) per message, trial by trial. */
        extraPodCpuMsPerMsg: Summary;
        /** http ÷ in-process msg/s, trial by trial (target ≥ 0.9). */
        throughputRatio: Summary;
    };
    exec: { messages: number; variant: RuntimeDrain };
    azurite: { messages: number; variants: { inProcess: RuntimeDrain; http: RuntimeDrain }; throughputRatio: Summary; extraWorkerCpuMsPerMsg: Summary };
    keepAlive: { requests: number; keepAlive: { reqPerSec: Summary; clientCpuMsPerReq: Summary; handlerCpuMsPerReq: Summary }; perRequestConnection: { reqPerSec: Summary; clientCpuMsPerReq: Summary; handlerCpuMsPerReq: Summary } };
    jobColdStart?: {
        trials: number;
        /** The commit whose worker is "before" (bench/baseline.ts). */
        baselineRev?: string;
        /** spawn → exit of `work --once` (results handler), code cache on. */
        before: { ms: Summary; peakRssMiB: Summary; loadedKiB: number };
        after: { ms: Summary; peakRssMiB: Summary; loadedKiB: number };
        /** after ÷ before, trial by trial. */
        ratio: Summary;
        bareNodeMs: Summary;
    };
}

const diffOf = <T>(a: T[], b: T[], f: (x: T) => number) => summarize(a.map((x, i) => f(x) - f(b[i])), 3);

/** 32 POSTs in flight to the handler, `n` in all, through `agent`; CPU of this client process and of the handler. */
async function postMany(n: number, keepAlive: boolean) {
    const h = await startHandler();
    const agent = keepAlive ? new Agent({ keepAlive: true, maxSockets: 32 }) : undefined;
    const body = Buffer.alloc(256, "x");
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
        Array.from({ length: 32 }, async () => {
            while (next++ < n) {
                await new Promise<void>((resolve, reject) => {
                    const req = request({ host: "127.0.0.1", port: h.port, path: "/", method: "POST", agent: agent ?? false, headers: { "content-type": "application/octet-stream", "content-length": String(body.length), "ce-id": "x" } }, (res) => {
                        res.resume();
                        res.once("end", () => resolve());
                    });
                    req.once("error", reject);
                    req.end(body);
                });
            }
        }),
    );
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    agent?.destroy();
    const m = await h.stop();
    return { reqPerSec: n / (ms / 1000), clientCpuMsPerReq: (c.user + c.system) / 1000 / n, handlerCpuMsPerReq: m.cpuMs / n };
}

export async function runtimeCost(e: Env & { baseline?: string }, sizes: BenchSizes): Promise<RuntimeCost> {
    const n = sizes.standInMessages;
    const s = await interleaved(sizes.standInTrials, {
        inProcess: () => standInDrain(n, BUNDLE, workerDrainArgs(32)),
        http: () => withHandler((port) => standInDrain(n, BUNDLE, httpArgs(port))),
    });
    const execN = Math.max(20, Math.round(n / 5));
    const ex = await interleaved(1, { exec: () => standInDrain(execN, BUNDLE, execArgs()) });

    const an = sizes.drainMessages;
    const azuriteDrain = (args: (port: number) => string[], handler: boolean) => async () => {
        const q = await freshQueue(e.cs);
        await fill(q.client, an);
        const run = async (port: number) => ok(await runProbed(BUNDLE, args(port), { env: q.env }), `drain ${args(port).join(" ")}`);
        return handler ? withHandler(run) : run(0);
    };
    const az = await interleaved(sizes.trials, { inProcess: azuriteDrain(() => workerDrainArgs(32), false), http: azuriteDrain(httpArgs, true) });

    const kaN = Math.max(200, n);
    const ka = await interleaved(sizes.trials, { keepAlive: () => postMany(kaN, true), perRequestConnection: () => postMany(kaN, false) });
    const kaFig = (xs: Awaited<ReturnType<typeof postMany>>[]) => ({ reqPerSec: summarize(xs.map((x) => x.reqPerSec), 1), clientCpuMsPerReq: summarize(xs.map((x) => x.clientCpuMsPerReq), 4), handlerCpuMsPerReq: summarize(xs.map((x) => x.handlerCpuMsPerReq), 4) });

    let jobColdStart: RuntimeCost["jobColdStart"];
    if (e.baseline) {
        const baseline = e.baseline;
        const q = await freshQueue(e.cs);
        await fill(q.client, sizes.coldStartTrials * 2);
        const job = (bundle: string) => async () => {
            const r = ok(await runProbed(bundle, ["work", "--once", "--handler", "results", "--wait-ms", "5000", "--quiet"], { env: q.env }), "work --once");
            if (!/"completed":1/.test(r.stdout)) throw new Error(`work --once did not complete a message: ${r.stdout}`);
            return r;
        };
        const c = await interleaved(sizes.coldStartTrials, { before: job(baseline), after: job(BUNDLE), bare: async () => ok(await runProbed("", []), "bare node") });
        const d = (xs: Sample[]) => ({ ms: summarize(xs.map((x) => x.ms), 1), peakRssMiB: summarize(xs.map((x) => x.peakRssMiB), 1), loadedKiB: round(xs[0].loadedBytes / 1024, 0) });
        jobColdStart = { trials: sizes.coldStartTrials, before: d(c.before), after: d(c.after), ratio: ratioOf(c.after, c.before, (x) => x.ms), bareNodeMs: summarize(c.bare.map((x) => x.ms), 1) };
    }
    return {
        date: new Date().toISOString(),
        standIn: {
            messages: n,
            variants: { inProcess: figure(s.inProcess, n), http: figure(s.http, n) },
            extraWorkerCpuMsPerMsg: diffOf(s.http, s.inProcess, (x) => x.cpuMs / n),
            extraPodCpuMsPerMsg: diffOf(s.http as (Sample & Partial<PodSample>)[], s.inProcess as (Sample & Partial<PodSample>)[], (x) => (x.cpuMs + (x.handlerCpuMs ?? 0)) / n),
            throughputRatio: ratioOf(s.inProcess, s.http, (x) => x.ms),
        },
        exec: { messages: execN, variant: figure(ex.exec, execN) },
        azurite: { messages: an, variants: { inProcess: figure(az.inProcess, an), http: figure(az.http, an) }, throughputRatio: ratioOf(az.inProcess, az.http, (x) => x.ms), extraWorkerCpuMsPerMsg: diffOf(az.http, az.inProcess, (x) => x.cpuMs / an) },
        keepAlive: { requests: kaN, keepAlive: kaFig(ka.keepAlive), perRequestConnection: kaFig(ka.perRequestConnection) },
        ...(jobColdStart ? { jobColdStart } : {}),
    };
}
