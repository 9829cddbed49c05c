/**
 * `npm run demo` at the repository root.
 *   npm run demo [-- <consumer demo flags>]     the consumer's demo, exactly as before (Azurite, send, workers, verify)
 *   npm run demo -- --scale <stack> [--messages N] [--strategy default|accurate|eager] [--workload W]
 *        [--work-seconds S] [--time-scale F] [--job-args "<args>"] [--max-polls N] [--out DIR]
 *     the stack's KEDA loop emulated over real workers on a local Azurite (timeline/emulate/): prints what it is and
 *     is not, a line per poll, a summary; writes <out>/<stack>-emulation.json (samples, format kedascale-timeline/1)
 *     and .html (the burst picture). Logs on stderr, the JSON summary as the last line of stdout (the CLI's streams).
 * Exit 0 when the run drained with every message's result once (verify) and no process left behind; 1 otherwise.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { ScalingStrategy } from "../model/keda";
import { renderHtml } from "../render/html";
import { emulate } from "./emulate";
import { parseTimeScale } from "./timeScale";

const USAGE =
    "usage: npm run demo -- --scale <stack> [--messages N] [--strategy default|accurate|eager] [--workload W] [--work-seconds S] [--time-scale F] [--job-args \"<args>\"] [--max-polls N] [--out DIR]";

/** Without --scale: the consumer's own demo, with the same arguments and exit code. */
function consumerDemo(argv: string[]): void {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const child = spawn(npm, ["run", "demo", "--silent", "--workspace", "consumer", "--", ...argv], { stdio: "inherit", cwd: join(__dirname, "..", "..") });
    for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => child.kill(sig));
    child.once("close", (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
}

function count(flag: string, text: string | undefined, min: number): number | undefined {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${flag} ${text}: expected a number ≥ ${min}`);
    return n;
}

async function scaleDemo(argv: string[]): Promise<number> {
    const { values } = parseArgs({
        args: argv,
        options: {
            scale: { type: "string" },
            messages: { type: "string" },
            strategy: { type: "string" },
            workload: { type: "string" },
            "work-seconds": { type: "string" },
            "time-scale": { type: "string" },
            "job-args": { type: "string" },
            "max-polls": { type: "string" },
            out: { type: "string", default: join(tmpdir(), "kedascale-timeline") },
        },
        strict: true,
    });
    if (!values.scale) throw new Error(`--scale <stack> is required\n${USAGE}`);
    if (values.strategy !== undefined && !["default", "accurate", "eager"].includes(values.strategy)) throw new Error(`--strategy ${values.strategy}: expected default, accurate or eager`);
    const stop = new AbortController();
    const onSignal = () => {
        process.stderr.write("stopping: ending every worker process, stopping Azurite and removing its folder\n");
        stop.abort();
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    const report = await emulate({
        stack: values.scale,
        messages: count("messages", values.messages, 1),
        scalingStrategy: values.strategy as ScalingStrategy | undefined,
        workload: values.workload,
        workSeconds: count("work-seconds", values["work-seconds"], 0),
        timeScale: values["time-scale"] !== undefined ? parseTimeScale(values["time-scale"]) : undefined,
        argsOverride: values["job-args"]?.split(/\s+/).filter(Boolean),
        maxPolls: count("max-polls", values["max-polls"], 1),
        signal: stop.signal,
        log: (line) => process.stderr.write(line + "\n"),
    });
    const dir = resolve(values.out!);
    mkdirSync(dir, { recursive: true });
    const base = join(dir, `${values.scale}-emulation`);
    writeFileSync(`${base}.json`, JSON.stringify(report.timeline, null, 1));
    writeFileSync(`${base}.html`, renderHtml(report.timeline));
    const ok = report.drained && report.verify.ok && report.strays === 0 && report.leftRunning === 0;
    const what = report.kind === "job" ? `${report.created} Jobs for ${report.messages} messages (${report.jobsPerMessage} per message, strategy ${report.strategy})` : `${report.created} replica pods, peak ${report.peakRunning}`;
    process.stderr.write(
        `emulation ${ok ? "passed" : "FAILED"}: ${what}; queue ${report.queueDepthAtEnd} left, ${report.poisonAtEnd} parked, results ${report.verify.found}/${report.verify.expected} (duplicates ${report.verify.duplicates}), ` +
            `${report.leftRunning} processes left running, ${report.drained ? "drained" : `not drained (${report.ended})`}\n` +
            `wrote ${base}.html and ${base}.json (KEDA's formulas over real workers; no scheduler, nodes or autoscaler)\n`,
    );
    if (report.failures.length) process.stderr.write(`failed pods (first ${report.failures.length}):\n${report.failures.join("\n---\n")}\n`);
    const { timeline, ...summary } = report;
    process.stdout.write(JSON.stringify({ ...summary, samples: timeline.samples.length, json: `${base}.json`, html: `${base}.html` }) + "\n");
    return stop.signal.aborted ? 130 : ok ? 0 : 1;
}

const argv = process.argv.slice(2);
if (!argv.some((a) => a === "--scale" || a.startsWith("--scale="))) consumerDemo(argv);
else
    scaleDemo(argv).then(
        (code) => process.exit(code),
        (e) => {
            process.stderr.write(`demo --scale: ${(e as Error).message}\n`);
            process.exit(1);
        },
    );
