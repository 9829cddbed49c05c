/**
 * Every process the bench measures is spawned the same way: `node -r bench/probe.cjs <script> …`, stdio piped, timed
 * from spawn to exit by the bench, and measuring itself (peak RSS, CPU, loaded bytes) at exit through the probe.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import * as esbuild from "esbuild";
import { pathToFileURL } from "node:url";

export const PROBE = join(__dirname, "probe.cjs");

export interface Sample {
    /** Spawn → exit, ms. */
    ms: number;
    /** user + system CPU of the process, ms. */
    cpuMs: number;
    /** Kernel high-water mark of resident memory (VmHWM), MiB. */
    peakRssMiB: number;
    /** JavaScript files the process loaded, bytes on disk. */
    loadedBytes: number;
    code: number | null;
    stdout: string;
    stderr: string;
}

export interface RunOptions {
    env?: Record<string, string>;
    /** Node options before the script (V8 flags). */
    nodeArgs?: string[];
    /** Called with the pid once spawned (memory sampling while it runs). */
    onSpawn?: (pid: number) => void;
    /** Kill it after this long (a bench run must end). */
    timeoutMs?: number;
}

export async function runProbed(script: string, args: string[], o: RunOptions = {}): Promise<Sample> {
    const dir = mkdtempSync(join(tmpdir(), "kedascale-bench-"));
    const file = join(dir, "probe.jsonl");
    try {
        const t0 = performance.now();
        const proc = spawn(process.execPath, [...(o.nodeArgs ?? []), "-r", PROBE, ...(script ? [script] : ["-e", ""]), ...args], {
            env: { ...process.env, ...o.env, BENCH_PROBE_FILE: file },
            stdio: ["ignore", "pipe", "pipe"],
        });
        o.onSpawn?.(proc.pid!);
        let stdout = "";
        let stderr = "";
        proc.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
        proc.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
        const timer = setTimeout(() => proc.kill("SIGKILL"), o.timeoutMs ?? 20 * 60_000);
        const code = await new Promise<number | null>((resolve, reject) => {
            proc.once("error", reject);
            proc.once("exit", (c) => resolve(c));
        });
        const ms = performance.now() - t0;
        clearTimeout(timer);
        const probe = JSON.parse(readFileSync(file, "utf8").trim().split("\n").at(-1)!) as { peakRssKiB: number; userUs: number; systemUs: number; loadedBytes: number };
        return { ms, cpuMs: (probe.userUs + probe.systemUs) / 1000, peakRssMiB: probe.peakRssKiB / 1024, loadedBytes: probe.loadedBytes, code, stdout, stderr };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** Fails loudly: a run that did not exit 0 measured nothing worth reporting. */
export function ok(s: Sample, what: string): Sample {
    if (s.code !== 0) throw new Error(`${what} exited ${s.code}: ${s.stderr.slice(-800)}`);
    return s;
}

/** One entry bundled the way the worker's single bundle was (esbuild, minified CommonJS, node20) into a temp folder. */
async function bundleLikeWorker(entry: string, prefix: string, outName: string, tweaked: boolean): Promise<{ path: string; dispose(): void }> {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    const consumer = join(__dirname, "..", "consumer");
    const src = join(consumer, "src");
    // The worker build's changes to the bundled SDK (consumer/scripts/bundleTweaks.mjs), for baselines compared like for like.
    const t = tweaked ? ((await import(pathToFileURL(join(consumer, "scripts", "bundleTweaks.mjs")).href)) as { bundleTweaks(root: string): { define: Record<string, string>; inject: string[]; plugins: esbuild.Plugin[] } }).bundleTweaks(consumer) : { define: {}, inject: [], plugins: [] };
    await esbuild.build({
        entryPoints: [entry],
        bundle: true,
        platform: "node",
        target: "node20",
        format: "cjs",
        minify: true,
        legalComments: "none",
        outfile: join(dir, outName),
        inject: [join(src, "importMetaUrl.ts"), ...t.inject],
        define: { "import.meta.url": "importMetaUrl", ...t.define },
        plugins: t.plugins,
        logLevel: "warning",
    });
    return { path: join(dir, outName), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** bench/raw.ts bundled like the worker (with the same tweaks to the SDK), so they are compared like for like. */
export const bundleRawLoops = () => bundleLikeWorker(join(__dirname, "raw.ts"), "kedascale-raw-", "raw.cjs", true);

/** The worker as one bundle, the way it was built before issue 15 (no split, no code cache), for the before/after line. */
export const bundleSingle = () => bundleLikeWorker(join(__dirname, "..", "consumer", "src", "cli.ts"), "kedascale-single-", "worker.cjs", false);

/** Resident memory now (VmRSS), MiB; undefined once the process is gone. */
export function rssMiB(pid: number): number | undefined {
    try {
        const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))!;
        return Number(line.replace(/\D+/g, "")) / 1024;
    } catch {
        return undefined;
    }
}
