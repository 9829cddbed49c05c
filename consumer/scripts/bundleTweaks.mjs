/**
 * What the worker's bundle changes in the code it bundles (issue 15: what a Job loads at start), shared by the build
 * (scripts/build.mjs) and the bench's raw SDK loops (bench/spawn.ts), so the two are compared like for like. Each
 * swaps something the SDK or a library loads when it is imported, for a path the worker never or rarely takes, and
 * test/startup.test.ts checks that a Job loads none of those Node modules.
 *
 * - `FormData` → undefined: the HTTP pipeline's formDataPolicy tests `typeof FormData !== "undefined" && body
 *   instanceof FormData` on every request, and on Node 20 and 22 that global is a lazy getter that loads Node's
 *   bundled undici (with http2, worker_threads, web streams…): 25 ms and 3 MiB of a Job's start (measured) for a
 *   check that is always false here — the worker sends strings and buffers, never multipart forms. Every use in the
 *   bundle is behind that `typeof` guard.
 * - `crypto.randomUUID` → node:crypto's (src/shims/randomUUID.ts): the global Web Crypto object loads Web Crypto.
 * - `https-proxy-agent`, `http-proxy-agent` → src/shims/http(s)ProxyAgent.cjs, and commander's `node:child_process`
 *   → src/shims/childProcess.cjs: each loads on first use (a configured proxy; an executable subcommand), if ever.
 */
import { join } from "node:path";

/** esbuild options for a bundle of code under `root` (the consumer folder). */
export function bundleTweaks(root) {
    const shim = (name) => join(root, "src", "shims", name);
    return {
        define: { FormData: "undefined", "crypto.randomUUID": "nodeRandomUUID" },
        inject: [shim("randomUUID.ts")],
        plugins: [
            {
                name: "kedascale-lazy-modules",
                setup(build) {
                    for (const [pkg, file] of [["https-proxy-agent", "httpsProxyAgent.cjs"], ["http-proxy-agent", "httpProxyAgent.cjs"]]) {
                        build.onResolve({ filter: new RegExp(`^${pkg}$`) }, (a) => (a.importer === shim(file) ? undefined : { path: shim(file) }));
                    }
                    build.onResolve({ filter: /^(node:)?child_process$/ }, (a) => (/[\\/]node_modules[\\/]commander[\\/]/.test(a.importer) ? { path: shim("childProcess.cjs") } : undefined));
                },
            },
        ],
    };
}
