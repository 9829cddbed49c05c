/**
 * `npm run rehearse`: every image the stacks build, built and run for real without a Docker engine (issue 25; what it
 * proves and what it cannot: docs/images.md).
 *
 *   1. installs buildah, podman, runc and debootstrap from Debian's packages if missing (tools.ts);
 *   2. asks the program which images each stack builds (discover.ts: the real index.ts under mocks, every stack);
 *   3. copies the repository as a clone of this working tree would have it (cleanCopy.ts);
 *   4. makes stand-ins for their pinned bases, cached between runs (bases.ts, standIns.ts), or names the skip;
 *   5. builds each with its real Dockerfile and .dockerignore (build.ts);
 *   6. runs each with its own checks (checks/), against a real Azurite on the host's loopback;
 *   7. with `--record`, also times the images' start inside the image against the host (startup.ts) and writes sizes
 *      and start times to bench/results.json under "images".
 * Exit 0 only when every image built and every check passed; skips are listed by name either way.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startAzurite, type Azurite } from "../../consumer/src/azurite";
import { REPO_ROOT, stackNames } from "../harness/stackConfig";
import { localName } from "./bases";
import { buildImage, type Built, type Skipped } from "./build";
import { Verdicts, type Verdict } from "./checks/check";
import { CHECKS } from "./checks/registry";
import { cleanCopy } from "./cleanCopy";
import { discoverBuilds, exampleBuilds } from "./discover";
import { Engine } from "./engine";
import { RehearsalError } from "./exec";
import { lockCache } from "./lock";
import { measureStart, type StartTimes } from "./startup";
import { ensureTools } from "./tools";

const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)}s`;
const log = (m: string) => process.stdout.write(`[rehearse ${elapsed()}] ${m}\n`);
/** The worker image's Dockerfile (components/k8s/workerImage.ts's default). */
const WORKER_DOCKERFILE = "consumer/Dockerfile";
const mib = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

export interface Report {
    date: string;
    storage: string;
    seconds: { total: number; tools: number; discover: number; bases: number; builds: number; checks: number };
    images: { name: string; dockerfile: string; builtBy: string[]; buildSeconds?: number; sizeMiB?: number; layers?: number; notes?: string[]; start?: StartTimes; skipped?: Skipped["skips"]; notRun?: string; failed?: string }[];
    baseSizesMiB: Record<string, number>;
    verdicts: Verdict[];
    problems: string[];
    ok: boolean;
}

async function main(argv: string[]): Promise<number> {
    const record = argv.includes("--record");
    // An explicit opt-out for machines that cannot run it (macOS, no root): said out loud, never assumed.
    if (process.env.KEDASCALE_REHEARSAL === "skip") {
        log("SKIPPED the whole image rehearsal: KEDASCALE_REHEARSAL=skip is set (CI never sets it; docs/images.md)");
        return 0;
    }
    const engineTools = performance.now();
    const installed = await ensureTools(log);
    const toolsSeconds = (performance.now() - engineTools) / 1000;
    const engine = await Engine.open();
    log(`cache ${engine.cache}, storage driver ${engine.driver}${installed.length ? `, installed ${installed.join(" ")}` : ""}`);
    const unlock = await lockCache(engine.cache, 1_800_000, log);
    let azurite: Azurite | undefined;
    const copy = join(engine.tmp, `copy-${process.pid}`);
    const verdicts = new Verdicts((v) => log(`${v.ok ? "PASS" : "FAIL"} ${v.image}: ${v.check} — ${v.detail.split("\n").join("\n    ")}`));
    const problems: string[] = [];
    const report: Report["images"] = [];
    const phase = { discover: 0, bases: 0, builds: 0, checks: 0 };
    const builtImages: Built[] = [];
    try {
        await engine.removeStaleContainers();
        let at = performance.now();
        const found = await discoverBuilds(stackNames(), REPO_ROOT);
        phase.discover = (performance.now() - at) / 1000;
        problems.push(...found.problems);
        for (const p of found.problems) log(`PROBLEM ${p}`);
        log(`the stacks build ${found.builds.length} image(s): ${found.builds.map((b) => `${b.dockerfile} (${b.builtBy.join(", ")})`).join("; ")}`);
        if (!found.builds.some((b) => b.dockerfile === WORKER_DOCKERFILE)) problems.push(`no stack builds ${WORKER_DOCKERFILE}: the program registered no docker:index/image:Image for the worker`);

        const { files } = await cleanCopy(REPO_ROOT, copy);
        const examples = exampleBuilds(files, found.builds);
        if (examples.length) log(`examples/ also has ${examples.map((b) => b.dockerfile).join(", ")}`);
        log(`clean copy: ${files.length} files`);
        const built = builtImages;
        // The worker first: an image may be built FROM it.
        const order = [...found.builds, ...examples].sort((a, b) => Number(b.dockerfile === WORKER_DOCKERFILE) - Number(a.dockerfile === WORKER_DOCKERFILE));
        for (const b of order) {
            at = performance.now();
            try {
                const r = await buildImage(engine, copy, b, log, built.find((x) => x.build.dockerfile === WORKER_DOCKERFILE));
                if ("skips" in r) {
                    for (const s of r.skips) log(`SKIP ${r.name}: ${s.ref === "build step" ? s.reason : `base ${s.ref} cannot be made here: ${s.reason}`}`);
                    report.push({ name: r.name, dockerfile: b.dockerfile, builtBy: b.builtBy, skipped: r.skips });
                    continue;
                }
                phase.bases += Object.values(r.madeBases).reduce((a, x) => a + x, 0);
                phase.builds += r.seconds;
                built.push(r);
                log(`built ${r.name} in ${r.seconds}s: ${mib(r.bytes)} MiB, ${r.layers} layers${r.notes.length ? ` (${r.notes.join("; ")})` : ""}`);
                report.push({ name: r.name, dockerfile: b.dockerfile, builtBy: b.builtBy, buildSeconds: r.seconds, sizeMiB: mib(r.bytes), layers: r.layers, ...(r.notes.length ? { notes: r.notes } : {}) });
            } catch (e) {
                const msg = e instanceof Error ? e.message : String(e);
                log(`FAIL build: ${msg}`);
                problems.push(msg);
                report.push({ name: b.dockerfile, dockerfile: b.dockerfile, builtBy: b.builtBy, failed: msg });
            }
        }

        at = performance.now();
        if (built.length) azurite = await startAzurite();
        for (const image of built) {
            const checks = CHECKS.find((c) => c.dockerfile === image.build.dockerfile);
            if (!checks) {
                log(`NOT RUN ${image.name}: no run checks are defined for ${image.build.dockerfile} (test/images/checks/registry.ts): built only`);
                report.find((r) => r.name === image.name)!.notRun = "built only: no run checks are defined for it in test/images/checks/registry.ts";
                continue;
            }
            await checks.run(engine, image, { azurite: azurite!, built, verdicts });
            // Timings are the bench's business (never timed assertions in tests): measured with --record only.
            if (checks.start && record) {
                try {
                    const start = await measureStart(engine, image, checks.start.entry, checks.start.args);
                    report.find((r) => r.name === image.name)!.start = start;
                    log(`start of ${start.command}: inside ${start.insideMs.median} ms, host ${start.hostMs.median} ms (×${start.ratio.median}), whole podman run ${start.podmanRunMs.median} ms`);
                } catch (e) {
                    problems.push(e instanceof Error ? e.message : String(e));
                }
            }
        }
        phase.checks = (performance.now() - at) / 1000;
    } finally {
        await azurite?.stop();
        await engine.removeStaleContainers();
        await engine.pruneDangling();
        rmSync(copy, { recursive: true, force: true });
        unlock();
    }

    const failed = verdicts.all.filter((v) => !v.ok);
    const baseSizesMiB: Record<string, number> = {};
    for (const ref of new Set(builtImages.flatMap((b) => b.bases.map((x) => x.ref)))) baseSizesMiB[ref] = mib((await engine.inspectImage(localName(ref))).Size);
    const total = (performance.now() - t0) / 1000;
    const r1 = (x: number) => Math.round(x * 10) / 10;
    const result: Report = {
        date: new Date().toISOString(),
        storage: engine.driver,
        seconds: { total: r1(total), tools: r1(toolsSeconds), discover: r1(phase.discover), bases: r1(phase.bases), builds: r1(phase.builds), checks: r1(phase.checks) },
        images: report,
        baseSizesMiB,
        verdicts: verdicts.all,
        problems,
        ok: failed.length === 0 && problems.length === 0,
    };
    mkdirSync(engine.cache, { recursive: true });
    writeFileSync(join(engine.cache, "report.json"), JSON.stringify(result, null, 2) + "\n");
    if (record) recordBench(result);

    log(`${verdicts.all.length - failed.length}/${verdicts.all.length} checks passed, ${report.filter((i) => i.skipped).length} image(s) skipped, ${problems.length} problem(s); report ${join(engine.cache, "report.json")}`);
    for (const i of report.filter((x) => x.notRun)) log(`NOT RUN ${i.name} (${i.dockerfile}): ${i.notRun}`);
    for (const i of report.filter((x) => x.skipped)) log(`SKIPPED ${i.name} (${i.dockerfile}): ${i.skipped!.map((s) => `${s.ref}: ${s.reason}`).join("; ")}`);
    for (const v of failed) log(`FAILED ${v.image}: ${v.check}\n    ${v.detail.split("\n").join("\n    ")}`);
    for (const p of problems) log(`PROBLEM ${p}`);
    return result.ok ? 0 : 1;
}

/** bench/results.json keeps the images' sizes and start times under its own key (the bench's other keys untouched). */
function recordBench(r: Report): void {
    const file = join(REPO_ROOT, "bench", "results.json");
    const results = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    results.images = {
        date: r.date,
        storage: r.storage,
        baseSizesMiB: r.baseSizesMiB,
        images: r.images.map(({ name, dockerfile, buildSeconds, sizeMiB, layers, start, skipped, notRun }) => ({ name, dockerfile, buildSeconds, sizeMiB, layers, start, ...(skipped ? { skipped } : {}), ...(notRun ? { notRun } : {}) })),
    };
    writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
    log(`recorded under "images" in ${file}`);
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
        log(e instanceof RehearsalError ? `FAIL ${e.message}` : `FAIL ${e instanceof Error ? e.stack : String(e)}`);
        process.exit(1);
    },
);

