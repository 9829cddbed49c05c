/**
 * Debian's Chromium, driven headless by playwright-core, for looking at a rendered timeline as a person would.
 * Chromium is not an npm package (playwright-core's own browser download is not reachable from CI): on a fresh CI
 * machine `ensureChromium` installs Debian's package with apt when it runs as root, and says why not otherwise.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Flags for a quiet, sandbox-less (root in CI) headless run that reaches nothing on the network by itself. */
export const CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
] as const;

export interface ChromiumStatus {
    readonly path?: string;
    /** Why Chromium is unavailable (for a skipped test's title). */
    readonly reason?: string;
    /** Seconds the apt install took, when this call installed it. */
    readonly installSeconds?: number;
}

/**
 * Returns Chromium's path, installing Debian's `chromium` package (no recommends) when it is missing and this process
 * is root. `log` receives apt's progress lines, so a slow CI step says what it is doing.
 */
export function ensureChromium(log: (line: string) => void = () => {}, timeoutMs = 5 * 60_000): ChromiumStatus {
    if (existsSync(CHROMIUM_PATH)) return { path: CHROMIUM_PATH };
    if (process.platform !== "linux" || typeof process.getuid !== "function" || process.getuid() !== 0) {
        return { reason: `${CHROMIUM_PATH} is missing and this process is not root, so it cannot apt-get install chromium` };
    }
    const started = Date.now();
    log(`installing Debian's chromium (apt-get update && apt-get install -y --no-install-recommends chromium), up to ${timeoutMs / 1000} s`);
    const run = spawnSync("sh", ["-c", "apt-get update && apt-get install -y --no-install-recommends chromium"], {
        encoding: "utf8",
        timeout: timeoutMs,
        env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
        maxBuffer: 64 * 1024 * 1024,
    });
    const installSeconds = Math.round((Date.now() - started) / 100) / 10;
    for (const line of `${run.stdout ?? ""}${run.stderr ?? ""}`.split("\n").filter(Boolean).slice(-15)) log(`apt: ${line}`);
    log(`apt-get finished with status ${run.status ?? run.signal} after ${installSeconds} s`);
    if (existsSync(CHROMIUM_PATH)) return { path: CHROMIUM_PATH, installSeconds };
    return { reason: `apt-get install chromium did not provide ${CHROMIUM_PATH} (status ${run.status ?? run.signal}, ${installSeconds} s)`, installSeconds };
}

export interface Shot {
    readonly png: Buffer;
    /** Evaluates an expression in the page (DOM checks). */
    readonly evaluate: <T>(fn: () => T) => Promise<T>;
    readonly close: () => Promise<void>;
}

/** Opens an HTML document in headless Chromium with a fresh profile and screenshots it at the given size. */
export async function openInChromium(html: string, size = { width: 1000, height: 620 }, executablePath = CHROMIUM_PATH): Promise<Shot> {
    const { chromium } = await import("playwright-core");
    const profile = mkdtempSync(join(tmpdir(), "kedascale-chromium-"));
    // A persistent context takes the fresh profile directory (playwright refuses --user-data-dir in args).
    const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: [...CHROMIUM_ARGS], viewport: size });
    try {
        const page = context.pages()[0] ?? (await context.newPage());
        // No network: the document is self-contained, so block anything it might try to fetch.
        await page.route("**/*", (route) => (route.request().url().startsWith("data:") ? route.continue() : route.abort()));
        await page.setContent(html, { waitUntil: "load" });
        const png = await page.screenshot({ type: "png", fullPage: false });
        return {
            png,
            evaluate: (fn) => page.evaluate(fn),
            close: async () => {
                await context.close();
                rmSync(profile, { recursive: true, force: true });
            },
        };
    } catch (e) {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
        throw e;
    }
}
