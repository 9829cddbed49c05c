/**
 * Builds dist/ for the image and the tests (`npm run build`), in two esbuild passes:
 *
 * 1. Bundle src/cli.ts and src/demo.ts as ES modules with code splitting: every `await import(...)` in the source
 *    (connect.ts, preflight.ts, progress.ts) becomes its own chunk, and code shared by several chunks is factored out
 *    once. esbuild splits only ES modules, and Node 20 has no compile cache for ES modules, so:
 * 2. Convert each output file to CommonJS (`import` → `require`, `import()` → a lazy `require`). The result is a
 *    graph of .cjs files in which a Storage-queue Job loads the Storage chunks only: no Service Bus, AMQP or MSAL is
 *    read, parsed or compiled unless that broker or an Entra identity is used (issue 15 point 2).
 *
 * Then dist/worker.cjs, the entry the image runs, is a small launcher (src/launcher.ts) that installs the signal
 * handlers and the V8 code-cache loader (src/codeCache.ts) before requiring dist/cli.cjs. With `--cache`, the cache is
 * produced by training runs of the built CLI under this very Node binary (scripts/trainCache.mjs).
 */
import * as esbuild from "esbuild";
import { spawnSync } from "node:child_process";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleTweaks } from "./bundleTweaks.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** What the bundle swaps in the code it bundles, and why: scripts/bundleTweaks.mjs. */
const tweaks = bundleTweaks(root);
const common = { bundle: true, platform: "node", target: "node20", minify: true, legalComments: "none", logLevel: "warning", absWorkingDir: root };

/** Both passes and the launcher, into `dir`. */
async function build(dir) {
    const esm = await esbuild.build({
        ...common,
        entryPoints: { cli: "src/cli.ts", demo: "src/demo.ts" },
        format: "esm",
        splitting: true,
        outdir: dir,
        // The graph's import specifiers carry the final extension, so the CommonJS requires of pass 2 resolve as is.
        outExtension: { ".js": ".cjs" },
        chunkNames: "chunks/[name]-[hash]",
        // Some Azure SDK ESM builds call createRequire(import.meta.url); see src/importMetaUrl.ts.
        inject: ["src/importMetaUrl.ts", ...tweaks.inject],
        define: { "import.meta.url": "importMetaUrl", ...tweaks.define },
        plugins: tweaks.plugins,
        write: false,
        metafile: true,
    });
    for (const file of esm.outputFiles) {
        // `dynamic-import: false` turns import() into Promise.resolve().then(() => require(...)): still lazy, now CommonJS.
        const cjs = await esbuild.transform(file.text, { format: "cjs", loader: "js", target: "node20", supported: { "dynamic-import": false }, minify: true, legalComments: "none" });
        // src/codeCache.ts hands each file to V8 as Latin-1 (a copy, no UTF-8 decoding): ASCII only.
        const nonAscii = /[^\x00-\x7f]/.exec(cjs.code);
        if (nonAscii) throw new Error(`${relative(root, file.path)} has a non-ASCII character at ${nonAscii.index}: the code cache loader reads bundles as Latin-1`);
        mkdirSync(dirname(file.path), { recursive: true });
        writeFileSync(file.path, cjs.code);
    }
    await esbuild.build({ ...common, entryPoints: { worker: "src/launcher.ts" }, format: "cjs", outdir: dir, outExtension: { ".js": ".cjs" }, external: ["./cli.cjs"], banner: { js: "#!/usr/bin/env node" } });
    // Which packages each file holds (dist/packages.json: the start-up test checks a Storage Job loads no Service Bus
    // code with it, and a person can read the split); the full esbuild metafile with `--meta`.
    const packages = {};
    for (const [out, o] of Object.entries(esm.metafile.outputs)) {
        const names = Object.keys(o.inputs).map((i) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(i)?.[1] ?? "(kedascale)");
        packages[relative(dir, join(root, out)).split(sep).join("/")] = [...new Set(names)].sort();
    }
    writeFileSync(join(dir, "packages.json"), JSON.stringify(packages, null, 1) + "\n");
    if (process.argv.includes("--meta")) writeFileSync(join(root, "build-meta.json"), JSON.stringify(esm.metafile));
}

/** The code cache, by training runs of this build under this Node binary (scripts/trainCache.mjs). */
function train(dir) {
    const r = spawnSync(process.execPath, [join(root, "scripts", "trainCache.mjs"), dir], { stdio: "inherit" });
    if (r.status !== 0) throw new Error(`training the code cache failed (exit ${r.status ?? r.signal})`);
}

/**
 * Replaces dist/ with `dir`. Built and trained aside, then swapped in, so a process starting from dist/ (tests, or
 * another build running at the same moment) never sees a half-written graph. Two builds swapping at once retry;
 * they built the same source.
 */
function swapIn(dir) {
    const final = join(root, "dist");
    const old = join(root, `dist.old-${process.pid}`);
    for (let attempt = 1; ; attempt++) {
        try {
            renameSync(final, old);
        } catch {
            // no dist/ yet, or the other build moved it just now
        }
        try {
            renameSync(dir, final);
            break;
        } catch (e) {
            if (attempt >= 10) throw e;
        }
    }
    rmSync(old, { recursive: true, force: true });
}

const next = join(root, `dist.next-${process.pid}`);
try {
    await build(next);
    if (!process.argv.includes("--no-cache")) train(next);
    swapIn(next);
} finally {
    rmSync(next, { recursive: true, force: true });
}
