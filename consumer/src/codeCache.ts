/**
 * A V8 code cache for the worker's own bundle files (issue 15 point 3), for Node 20 and 22 alike.
 *
 * Node compiles every CommonJS file it loads from source: V8 parses it and compiles each function the first time it
 * runs. Here each dist/*.cjs file is compiled through `vm.Script` with `cachedData` instead: bytecode V8 serialised
 * from a training run of the same build (scripts/trainCache.mjs, at image build time). V8 accepts the data only if it
 * was produced by the same V8 version and flags for the same source text; otherwise it sets `cachedDataRejected` and
 * compiles from source as usual — a mismatched cache costs time, never correctness (test/startup.test.ts proves it).
 *
 * What V8 does NOT check, in release builds: the payload itself (no checksum) and the source's content (its "source
 * hash" is the length). A damaged cache file aborts the process inside the deserializer (measured: Node 20, V8 11.3,
 * "Fatal error … unreachable code"), and a cache of another source of the same length would be trusted. So every cache
 * file is sealed: a CRC-32 of the source bytes it belongs to and one of the data, checked before V8 sees the data; a
 * file that fails the check is counted `invalid` and the source compiles without it. CRC-32, not a cryptographic hash:
 * the threat is accident (a damaged file, files of two builds mixed), not an attacker — whoever can write the cache
 * can write the code beside it — and zlib's CRC-32 checks a Job's 1.8 MB in ~0.6 ms where SHA-256 took ~6 ms
 * (measured here, issue 15). The chance that a damaged or foreign file passes is 2^-32 per file.
 *
 * Sources are read once, as bytes (the seal checks those bytes), and handed to V8 as Latin-1 strings: the build
 * emits ASCII only (esbuild's default charset; scripts/build.mjs checks it), so the text is the same, and Latin-1 is a
 * plain copy into a one-byte string where UTF-8 is a decode.
 *
 * KEDASCALE_CODE_CACHE: `use` (default; files without a cache compile normally), `off`, or `produce` (also write each
 * loaded file's cache at exit). KEDASCALE_CODE_CACHE_REPORT=1 logs what was loaded, its bytes and the cache verdicts.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import Module from "node:module";
import { dirname, join, relative, sep } from "node:path";
import { Script } from "node:vm";
import { crc32 } from "node:zlib";

/** Where the launcher leaves its report for the CLI (separate bundles: a global, not a shared module). */
export const CODE_CACHE_REPORT = Symbol.for("kedascale.codeCache");

export type CodeCacheMode = "use" | "off" | "produce";

export interface CodeCacheReport {
    mode: CodeCacheMode;
    /** Bundle files compiled through the loader, and their size in bytes (what V8 had to read, parse and compile). */
    files: number;
    bytes: number;
    /** Files whose cache V8 accepted / rejected (other V8 version or flags), that failed the seal (damaged, another source), or had none. */
    accepted: number;
    rejected: number;
    invalid: number;
    missing: number;
}

// Node's internals the loader plugs into, as documented by their long-standing use (v8-compile-cache, pirates).
interface NodeModule {
    exports: unknown;
    require(id: string): unknown;
}
const M = Module as unknown as {
    _extensions: Record<string, (module: NodeModule, filename: string) => void>;
    _resolveFilename(request: string, parent: NodeModule, isMain: boolean, options?: unknown): string;
    _cache: Record<string, unknown>;
    wrap(source: string): string;
};

/** Bytes of the seal in front of V8's data: CRC-32 of the source, CRC-32 of the data (little-endian). */
export const SEAL_BYTES = 8;

/** A cache file: the seal, then V8's data. */
export function seal(source: Buffer, data: Buffer): Buffer {
    const head = Buffer.alloc(SEAL_BYTES);
    head.writeUInt32LE(crc32(source), 0);
    head.writeUInt32LE(crc32(data), 4);
    return Buffer.concat([head, data]);
}

/** The data of a sealed cache file if it belongs to `source` and is intact; undefined otherwise. */
export function unseal(source: Buffer, file: Buffer): Buffer | undefined {
    if (file.length <= SEAL_BYTES || file.readUInt32LE(0) !== crc32(source)) return undefined;
    const data = file.subarray(SEAL_BYTES);
    return file.readUInt32LE(4) === crc32(data) ? data : undefined;
}

/** The cache file of one bundle file: its path under `dir`, flattened. */
export function cacheFileFor(dir: string, cacheDir: string, filename: string): string {
    return join(cacheDir, relative(dir, filename).split(sep).join("__") + ".v8");
}

function requireFor(module: NodeModule) {
    const require = ((id: string) => module.require(id)) as NodeJS.Require;
    require.resolve = ((request: string, options?: unknown) => M._resolveFilename(request, module, false, options)) as NodeJS.RequireResolve;
    require.main = process.mainModule;
    require.cache = M._cache as NodeJS.Require["cache"];
    return require;
}

/** Routes the .cjs files under `dir` through vm.Script with their cached data. Returns the live report. */
export function installCodeCache(dir: string, cacheDir: string, mode: CodeCacheMode): CodeCacheReport {
    const report: CodeCacheReport = { mode, files: 0, bytes: 0, accepted: 0, rejected: 0, invalid: 0, missing: 0 };
    const fallback = M._extensions[".cjs"] ?? M._extensions[".js"];
    const produced: { script: Script; file: string; bytes: Buffer }[] = [];
    M._extensions[".cjs"] = (module, filename) => {
        if (!filename.startsWith(dir + sep)) return fallback(module, filename);
        const bytes = readFileSync(filename);
        const source = bytes.toString("latin1").replace(/^#!.*/, "");
        report.files++;
        report.bytes += bytes.length;
        const file = cacheFileFor(dir, cacheDir, filename);
        let cachedData: Buffer | undefined;
        // produce reads too: each training run adds to what the earlier ones cached.
        if (mode !== "off") {
            let sealed: Buffer | undefined;
            try {
                sealed = readFileSync(file);
            } catch {
                report.missing++;
            }
            if (sealed) {
                cachedData = unseal(bytes, sealed);
                if (!cachedData) report.invalid++;
            }
        }
        const script = new Script(M.wrap(source), { filename, cachedData });
        if (cachedData) script.cachedDataRejected ? report.rejected++ : report.accepted++;
        const fn = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => void;
        if (mode === "produce") produced.push({ script, file, bytes });
        fn.call(module.exports, module.exports, requireFor(module), module, filename, dirname(filename));
    };
    if (mode === "produce") {
        // At exit, so the data holds every function the run compiled, not just the files' top level.
        process.on("exit", () => {
            mkdirSync(cacheDir, { recursive: true });
            for (const p of produced) writeFileSync(p.file, seal(p.bytes, p.script.createCachedData()));
        });
    }
    // For the CLI's "worker started" line: a cache V8 rejects (a NODE_OPTIONS V8 flag the training did not have, another
    // Node) costs start-up time silently otherwise.
    (globalThis as Record<symbol, unknown>)[CODE_CACHE_REPORT] = report;
    if (process.env.KEDASCALE_CODE_CACHE_REPORT === "1") {
        process.on("exit", () => process.stderr.write(JSON.stringify({ ts: new Date().toISOString(), level: "info", msg: "code cache", ...report }) + "\n"));
    }
    return report;
}

export function codeCacheMode(env: NodeJS.ProcessEnv): CodeCacheMode {
    const v = env.KEDASCALE_CODE_CACHE;
    return v === "off" || v === "produce" ? v : "use";
}
