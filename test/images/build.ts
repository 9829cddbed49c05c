/**
 * Builds one image the stacks build, from the clean copy, with its real Dockerfile and .dockerignore, on stand-ins
 * for its bases (`--pull=never`: nothing is fetched but what the Dockerfile's own steps fetch).
 *
 * Outbound TLS here is re-signed by a proxy the host trusts, so a step that reaches the npm registry needs the host's
 * CA: it is mounted for the build only (`-v`, never COPYed), with an npmrc naming it, as the build steps' home; the
 * rehearsal then checks that neither is left in the image.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEBIAN_SLIM, fromLines, localName, normalise, pulledBases, standInFor, unreachableSteps } from "./bases";
import type { ImageBuild } from "./discover";
import type { Engine } from "./engine";
import { RehearsalError } from "./exec";
import { CannotStandIn, ensureStandIn } from "./standIns";

/**
 * The build steps' home: a folder of the rehearsal's mounted over /root (which every base has, so no mount point is
 * created in a layer; buildah 1.28 leaves the mount points it creates), holding .npmrc with the CA beside it.
 */
export const BUILD_HOME = "/root";
export const BUILD_CA = "/root/.kedascale-rehearsal-ca.pem";

/** The ARG the examples' exec-handler image takes its worker image from (examples/handlers/exec/Dockerfile). */
export const WORKER_IMAGE_ARG = "WORKER_IMAGE";

export interface Built {
    build: ImageBuild;
    name: string;
    ref: string;
    seconds: number;
    bytes: number;
    layers: number;
    user: string;
    /** The stand-in bases it was built on, with their layers. */
    bases: { ref: string; layers: string[] }[];
    /** Stand-ins made this run (seconds each); cached ones are not listed. */
    madeBases: Record<string, number>;
    /** What differs from `pulumi up`'s build, in words (a digest-pinned base stood in for by tag, …). */
    notes: string[];
}

export interface Skipped {
    build: ImageBuild;
    name: string;
    /** Base → why it cannot be made here. */
    skips: { ref: string; reason: string }[];
}

/** A short name for an image from its Dockerfile's folder: consumer/Dockerfile → consumer. */
export function imageName(b: Pick<ImageBuild, "dockerfile" | "target">): string {
    const dir = b.dockerfile.split("/").slice(0, -1).join("-") || "root";
    return (b.target ? `${dir}-${b.target}` : dir).toLowerCase().replace(/[^a-z0-9._-]/g, "-");
}

function hostCa(): string {
    for (const c of [process.env.NODE_EXTRA_CA_CERTS, "/etc/ssl/certs/ca-certificates.crt"]) if (c && existsSync(c)) return c;
    throw new RehearsalError("finding the host's CA bundle", "no NODE_EXTRA_CA_CERTS and no /etc/ssl/certs/ca-certificates.crt: a build step that reaches the npm registry would fail TLS");
}

export async function buildImage(engine: Engine, copy: string, b: ImageBuild, log: (m: string) => void, worker?: Built): Promise<Built | Skipped> {
    const name = imageName(b);
    const dockerfilePath = join(copy, b.dockerfile);
    if (!existsSync(dockerfilePath)) throw new RehearsalError(`image ${name}`, `${b.dockerfile} is not in a clone of the repository (untracked and ignored, or missing); ${b.builtBy.join(", ")} would fail to build it`);
    let dockerfile = readFileSync(dockerfilePath, "utf8");
    const buildArgs = { ...b.args };
    const notes: string[] = [];
    const skips: Skipped["skips"] = unreachableSteps(dockerfile).map((reason) => ({ ref: "build step", reason }));
    // FROM ${WORKER_IMAGE}: a stack passes the digest of the worker image it built (unknown under mocks); here, the
    // worker image this rehearsal built.
    if (fromLines(dockerfile).some((f) => f.written.includes(`\${${WORKER_IMAGE_ARG}}`) || f.written === `$${WORKER_IMAGE_ARG}`)) {
        if (!worker) skips.push({ ref: `\${${WORKER_IMAGE_ARG}}`, reason: "the worker image was not built this run" });
        else {
            buildArgs[WORKER_IMAGE_ARG] = worker.ref;
            notes.push(`${WORKER_IMAGE_ARG}: the worker image built by this rehearsal`);
        }
    }
    const madeBases: Record<string, number> = {};
    const bases: Built["bases"] = [];
    for (const base of pulledBases(dockerfile, buildArgs)) {
        const s = standInFor(base);
        if (s.kind === "skip") {
            skips.push({ ref: base, reason: s.reason });
            continue;
        }
        try {
            const seconds = await ensureStandIn(engine, s, log);
            if (seconds > 0) madeBases[base] = seconds;
            bases.push({ ref: base, layers: (await engine.inspectImage(localName(base))).RootFS.Layers });
        } catch (e) {
            if (!(e instanceof CannotStandIn)) throw e;
            skips.push({ ref: base, reason: e.message });
            continue;
        }
        if (s.kind === "debian" && localName(base) !== DEBIAN_SLIM) notes.push(`${base}: stood in for by Debian bookworm as its mirror has it today, not that image's snapshot`);
        if (normalise(base).digest) {
            // A stand-in cannot have the real image's digest: build on it by tag (in the copy only) and say so.
            const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
            const arg = Object.entries(buildArgs).find(([, v]) => v === base)?.[0] ?? new RegExp(`^ARG\\s+(\\w+)=["']?${escaped}["']?\\s*$`, "m").exec(dockerfile)?.[1];
            if (dockerfile.includes(`FROM ${base}`)) dockerfile = dockerfile.split(`FROM ${base}`).join(`FROM ${localName(base)}`);
            else if (arg) buildArgs[arg] = localName(base);
            notes.push(`${base} is pinned by digest: built on its stand-in ${localName(base)} instead`);
        }
    }
    if (skips.length) return { build: b, name, skips };
    writeFileSync(dockerfilePath, dockerfile);

    const home = join(engine.tmp, `build-home-${name}`);
    rmSync(home, { recursive: true, force: true });
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, ".npmrc"), `cafile=${BUILD_CA}\n`);
    copyFileSync(hostCa(), join(home, BUILD_CA.split("/").at(-1)!));
    const ref = `localhost/kedascale-rehearsal/${name}:latest`;
    const args = ["build", "--isolation", "chroot", "--pull=never", "--layers=false", "--quiet", "-f", dockerfilePath, "-t", ref];
    if (b.platform && b.platform !== `linux/${process.arch === "x64" ? "amd64" : process.arch}`) notes.push(`asked for ${b.platform}: built for this machine's platform instead`);
    if (b.target) args.push("--target", b.target);
    for (const [k, v] of Object.entries(buildArgs)) args.push("--build-arg", `${k}=${v}`);
    args.push("-v", `${home}:${BUILD_HOME}`, join(copy, b.context));
    log(`building ${name} (${b.dockerfile}, context ${b.context})`);
    const logs = join(engine.cache, "logs");
    mkdirSync(logs, { recursive: true });
    const started = performance.now();
    const r = await engine.buildah(args, { allowFailure: true, timeoutMs: 900_000 });
    rmSync(home, { recursive: true, force: true });
    writeFileSync(join(logs, `${name}.log`), r.stdout + r.stderr);
    if (r.code !== 0) {
        const out = (r.stdout + r.stderr).trimEnd().split("\n").filter((l) => !/^(Copying|Getting image|Writing manifest|Storing signatures)/.test(l));
        throw new RehearsalError(`building ${name} from ${b.dockerfile}`, `buildah exited ${r.code}; last lines (whole log: ${join(logs, `${name}.log`)}):\n${out.slice(-30).join("\n")}`);
    }
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    const inspect = await engine.inspectImage(ref);
    return { build: b, name, ref, seconds, bytes: inspect.Size, layers: inspect.RootFS.Layers.length, user: inspect.Config.User ?? "", bases, madeBases, notes };
}
