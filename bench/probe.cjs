/**
 * Preloaded (`node -r bench/probe.cjs …`) into every process the bench measures — the worker, bare Node, the raw
 * SDK loops alike — so each is measured the same way, by itself, at its exit:
 * - peakRssKiB: VmHWM from /proc/self/status, the kernel's high-water mark of resident memory over the whole life of
 *   the process (not a sample that can miss the peak);
 * - userUs/systemUs: CPU time of the process (process.resourceUsage), for CPU per message;
 * - loadedBytes/loadedFiles: the JavaScript files the process loaded (every entry of the CommonJS module cache, by
 *   its size on disk): what V8 had to read and at least pre-parse. Built-in modules are not counted (they come from
 *   Node's own snapshot), and this file excludes itself.
 * Written as one JSON line to the file named by BENCH_PROBE_FILE (appended), never to the measured streams; with
 * BENCH_PROBE_FILES=1 the line also lists the files and Node's built-in modules it loaded (consumer/test/startup.test.ts
 * reads which packages were loaded, and that Node's bundled undici was not).
 */
"use strict";
const { appendFileSync, readFileSync, statSync } = require("node:fs");
const Module = require("node:module");

const out = process.env.BENCH_PROBE_FILE;
if (out) {
    process.on("exit", (code) => {
        const status = readFileSync("/proc/self/status", "utf8");
        const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
        let loadedBytes = 0;
        const files = Object.keys(Module._cache).filter((f) => f !== __filename);
        for (const file of files) {
            try {
                loadedBytes += statSync(file).size;
            } catch {}
        }
        const ru = process.resourceUsage();
        const line = { pid: process.pid, code, peakRssKiB: kib("VmHWM"), rssKiB: kib("VmRSS"), userUs: ru.userCPUTime, systemUs: ru.systemCPUTime, loadedBytes, loadedFiles: files.length };
        // With the files, Node's own modules compiled beyond its snapshot (process.moduleLoadList), e.g. undici.
        const builtins = process.moduleLoadList.filter((m) => m.startsWith("NativeModule ")).map((m) => m.slice("NativeModule ".length));
        appendFileSync(out, JSON.stringify(process.env.BENCH_PROBE_FILES === "1" ? { ...line, files, builtins } : line) + "\n");
    });
}
