/**
 * The plans of one `vitest run`, shared by every test file: a stack run with the same inputs is run once, and every
 * later caller gets a fresh copy of what that run recorded. About 50 runs of the six stack files as they are became
 * six (issue 26: the suite in half the time); what each test asserts is unchanged, it reads the same recorded data.
 *
 * A run is reused only when it is the same computation: the key holds the stack name, the exact config the CLI would
 * hand the program (project defaults, stack file, overrides: stackConfig.ts), `preview`, a digest of every source the
 * program and the mocks are made of (index.ts, components/, test/harness/, the lockfile's dependency versions), the
 * Node version, the environment (a test may change PATH, ARM_* ...) and the hour (virtual-node credential windows are
 * whole hours: plan/virtualNodes.ts credentialWindow). What else the program reads from the machine (kubelogin on
 * PATH, an image's build context) a test changes through PATH or the config, both in the key. A run is never reused,
 * nor stored, while a test changes the mocks some other way: a call override (mockState.setCallOverride) or a module
 * mock of its own (vi.mock/vi.doMock). Only a run that finished without error and recorded plain data (objects,
 * arrays, strings, numbers, booleans, null, undefined) is stored, so the copy is exactly what was recorded
 * (test/planReuse.test.ts). KEDASCALE_TEST_PLAN_CACHE=off turns reuse off.
 *
 * Only within a `vitest run` whose globalSetup includes test/harness/planCacheSetup.ts (the root vitest.config.ts): it
 * provides the run's folder. Anywhere else (`npm run bench`, which times plans; another config) every call runs the
 * program, and so does a caller passing `{ reuse: false }` (bench/runBench.ts's plan timings).
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deserialize, serialize } from "node:v8";
import { inject } from "vitest";
import { hasCallOverrides } from "./mockState";
import type { SettledRun } from "./programUnderMocks";
import { REPO_ROOT, stackConfig } from "./stackConfig";

declare module "vitest" {
    interface ProvidedContext {
        /** Folder of this run's recorded plans (test/harness/planCacheSetup.ts). */
        kedascalePlanCache: string;
    }
}

/** The module runProgram.ts mocks itself (the deployer's ACR token exchange): not a test's own mock. */
const HARNESS_MOCKS = [/\/components\/azure\/acrToken(\.ts)?$/];

let digest: string | undefined;
/** Every file the program or the mocks are made of, hashed once per process (a process runs one test file). */
function sourceDigest(): string {
    if (digest) return digest;
    const hash = createHash("sha256");
    const walk = (dir: string) => {
        for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
            const path = join(dir, entry.name);
            if (entry.isDirectory()) walk(path);
            else if (entry.name.endsWith(".ts")) hash.update(path).update("\0").update(readFileSync(path)).update("\0");
        }
    };
    for (const file of ["index.ts", "package.json", "package-lock.json"]) hash.update(file).update("\0").update(readFileSync(join(REPO_ROOT, file))).update("\0");
    walk(join(REPO_ROOT, "components"));
    walk(join(REPO_ROOT, "test", "harness"));
    return (digest = hash.digest("hex"));
}

/** Module mocks the test file registered itself (vitest 3's mocker registry), or undefined when that cannot be told. */
function ownModuleMocks(): string[] | undefined {
    const mocker = (globalThis as { __vitest_mocker__?: { getMockerRegistry?(): { registryByUrl?: Map<string, unknown> } } }).__vitest_mocker__;
    const registry = mocker?.getMockerRegistry?.()?.registryByUrl;
    if (!(registry instanceof Map)) return undefined;
    return [...registry.keys()].filter((url) => !HARNESS_MOCKS.some((m) => m.test(url)));
}

const sorted = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The key of a run, or undefined when this run must be computed (and not stored). */
export function planKey(stack: string, overrides: Record<string, unknown>, preview: boolean): string | undefined {
    if (process.env.KEDASCALE_TEST_PLAN_CACHE === "off" || hasCallOverrides()) return undefined;
    const mocks = ownModuleMocks();
    if (mocks === undefined || mocks.length > 0) return undefined;
    // vitest's own per-worker variables differ between files and are not the program's input.
    const env = sorted(Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("VITEST") && k !== "TINYPOOL_WORKER_ID")));
    const key = { v: 1, stack, preview, config: sorted(stackConfig(stack, overrides)), sources: sourceDigest(), node: process.version, env, hour: Math.floor(Date.now() / 3_600_000) };
    return createHash("sha256").update(JSON.stringify(key)).digest("hex");
}

/** True when `v` is made only of what v8 serialization copies exactly (no class instance, function, symbol, Map...). */
function isPlainData(v: unknown): boolean {
    if (v === null || v === undefined || typeof v === "string" || typeof v === "boolean") return true;
    if (typeof v === "number") return !Object.is(v, -0);
    if (typeof v !== "object") return false;
    if (Array.isArray(v)) return Object.getPrototypeOf(v) === Array.prototype && v.every(isPlainData);
    if (Object.getPrototypeOf(v) !== Object.prototype || Object.getOwnPropertySymbols(v).length > 0) return false;
    return Object.values(v).every(isPlainData);
}

const inProcess = new Map<string, Buffer>();

function folder(): string | undefined {
    try {
        return inject("kedascalePlanCache") || undefined;
    } catch {
        return undefined;
    }
}

/** A fresh copy of the recorded run, or undefined. */
function readPlan(dir: string, key: string): SettledRun | undefined {
    let bytes = inProcess.get(key);
    if (!bytes && existsSync(join(dir, `${key}.v8`))) {
        bytes = readFileSync(join(dir, `${key}.v8`));
        inProcess.set(key, bytes);
    }
    // Shaped as runUnderMocks returns it: `error` first, undefined (only runs without one are stored).
    return bytes ? ({ error: undefined, ...deserialize(bytes) } as SettledRun) : undefined;
}

/** Stores a run that finished without error and recorded plain data; returns whether it did. */
function storePlan(dir: string, key: string, run: SettledRun): boolean {
    // Everything the run recorded, whatever fields SettledRun grows; a field that is not plain data keeps it out.
    const { error, ...recorded } = run;
    if (error !== undefined || !isPlainData(recorded)) return false;
    const bytes = serialize(recorded);
    inProcess.set(key, bytes);
    // Written aside then renamed: a file reading the same key at the same moment sees all of it or none.
    const tmp = join(dir, `${key}.${process.pid}.tmp`);
    writeFileSync(tmp, bytes);
    renameSync(tmp, join(dir, `${key}.v8`));
    return true;
}

const WAIT_MS = 30_000;

const alive = (pid: number) => {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
};

/**
 * The recorded run for `key` if this run has one; otherwise `compute()`, stored for the next callers. Test files start
 * together and plan the same stacks in the same order: the first to claim a key computes it, the others wait for it
 * (or compute it themselves when it cannot be stored, or the claimant's process is gone).
 */
export async function reuseOrRun(key: string | undefined, compute: () => Promise<SettledRun>): Promise<{ run: SettledRun; reused: boolean }> {
    const dir = key === undefined ? undefined : folder();
    if (key === undefined || dir === undefined) return { run: await compute(), reused: false };
    const hit = readPlan(dir, key);
    if (hit) return { run: hit, reused: true };
    const lock = join(dir, `${key}.lock`);
    try {
        writeFileSync(lock, String(process.pid), { flag: "wx" });
    } catch {
        // Another file is computing it. A plan takes seconds; past WAIT_MS something is wrong with that file, and this
        // one plans for itself.
        for (const deadline = Date.now() + WAIT_MS; Date.now() < deadline; ) {
            await new Promise((r) => setTimeout(r, 50));
            const done = readPlan(dir, key);
            if (done) return { run: done, reused: true };
            if (existsSync(join(dir, `${key}.none`))) break;
            const holder = readFileSync(lock, "utf8");
            if (holder !== "" && !alive(Number(holder))) break;
        }
        return { run: await compute(), reused: false };
    }
    try {
        const run = await compute();
        if (!storePlan(dir, key, run)) writeFileSync(join(dir, `${key}.none`), "");
        return { run, reused: false };
    } catch (e) {
        writeFileSync(join(dir, `${key}.none`), "");
        throw e;
    }
}
