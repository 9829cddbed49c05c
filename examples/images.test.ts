/**
 * What the examples' Dockerfiles promise, read from the files themselves (the images are built and run by the image
 * rehearsal, issue 25; nothing here needs an engine). The Python images are Debian bookworm with Debian's python3 and
 * Azure SDK, so that each image runs exactly the interpreter and SDK its tests run, from Debian's archive only (PyPI
 * is not reachable where they are built and tested):
 *   - one base, Debian bookworm slim, pinned by tag and digest; no pip;
 *   - every Debian package named pinned to the version this machine's tests run with (dpkg-query), installed without
 *     recommends, apt's lists left out of the layer;
 *   - the dpkg path filter keeps every file of the Azure SDK the code loads (found by importing it here), and every
 *     Debian package those files come from is installed;
 *   - a numeric non-root USER; the entry point run by Debian's /usr/bin/python3;
 *   - every local module the entry point imports copied in and let through .dockerignore; tests kept out;
 *   - the PyPI alternative (requirements-pypi.txt, examples/README.md) pins every Azure package the code imports.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureDebianPython, ensurePythonAzure, INSTALL_TIMEOUT_MS, PYTHON } from "./support/python";

interface Dockerfile {
    args: Record<string, string | undefined>;
    from: string[];
    copies: { sources: string[]; dest: string }[];
    runs: string[];
    user?: string;
    entrypoint?: string[];
    cmd?: string[];
}

/** A Dockerfile's instructions, line continuations joined and comments dropped. */
function parseDockerfile(path: string): Dockerfile {
    const d: Dockerfile = { args: {}, from: [], copies: [], runs: [] };
    const lines = readFileSync(path, "utf8").split("\n").filter((l) => !l.trim().startsWith("#")).join("\n").replace(/\\\n/g, " ").split("\n");
    for (const raw of lines) {
        const line = raw.trim();
        if (!line) continue;
        const [op, ...rest] = line.split(/\s+/);
        const value = rest.join(" ");
        if (op === "ARG") {
            const [k, v] = value.split("=", 2);
            d.args[k] = v;
        } else if (op === "FROM") d.from.push(value.replace(/\$\{(\w+)\}/g, (_, k) => d.args[k] ?? `\${${k}}`));
        else if (op === "COPY" && !value.startsWith("--from")) d.copies.push({ sources: rest.slice(0, -1), dest: rest.at(-1)! });
        else if (op === "RUN") d.runs.push(value);
        else if (op === "USER") d.user = value;
        else if (op === "ENTRYPOINT") d.entrypoint = JSON.parse(value);
        else if (op === "CMD") d.cmd = JSON.parse(value);
    }
    return d;
}

/** Whether the build context sends `file` (.dockerignore: patterns in order, the last match wins, `!` re-includes). */
function sentToBuild(dir: string, file: string): boolean {
    const path = join(dir, ".dockerignore");
    if (!existsSync(path)) return true;
    let included = true;
    for (const raw of readFileSync(path, "utf8").split("\n")) {
        const line = raw.trim();
        if (!line || line.startsWith("#")) continue;
        const negate = line.startsWith("!");
        const pattern = negate ? line.slice(1) : line;
        const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")}$`);
        if (re.test(file)) included = negate;
    }
    return included;
}

/** Local modules (files beside it) a Python file imports, transitively. */
function localImports(dir: string, file: string, seen = new Set<string>()): Set<string> {
    for (const m of readFileSync(join(dir, file), "utf8").matchAll(/^(?:import|from)\s+([A-Za-z_]\w*)/gm)) {
        const f = `${m[1]}.py`;
        if (existsSync(join(dir, f)) && !seen.has(f)) (seen.add(f), localImports(dir, f, seen));
    }
    return seen;
}

/** The Azure SDK modules the code imports (at any depth in a function), e.g. azure.storage.queue, azure.identity. */
function azureModules(dir: string, entry: string): string[] {
    const sources = [entry, ...localImports(dir, entry)].map((f) => readFileSync(join(dir, f), "utf8")).join("\n");
    const mods = [...sources.matchAll(/^\s*(?:from|import)\s+(azure(?:\.\w+)+)/gm)].map((m) => m[1].split(".").slice(0, m[1].startsWith("azure.storage.") ? 3 : 2).join("."));
    return [...new Set(mods)].sort();
}

/** `name=version` pairs of every `apt-get install` in the RUN steps (options dropped). */
function aptInstalls(df: Dockerfile): { name: string; version?: string; raw: string }[] {
    return df.runs.flatMap((run) =>
        [...run.matchAll(/apt-get\s+install\s+([^&|;]+)/g)].flatMap((m) =>
            m[1].split(/\s+/).filter((w) => w && !w.startsWith("-")).map((raw) => ({ raw, name: raw.split("=")[0], version: raw.split("=")[1] })),
        ),
    );
}

/** dpkg's path filter (dpkg(1) --path-exclude/--path-include): rules in order, the last match wins; `*` matches `/`. */
function keptByFilter(rules: { include: boolean; re: RegExp }[], path: string): boolean {
    let kept = true;
    for (const r of rules) if (r.re.test(path)) kept = r.include;
    return kept;
}

function parseFilter(text: string): { include: boolean; re: RegExp }[] {
    return text.split("\n").map((l) => l.trim()).filter((l) => /^path-(?:exclude|include)=/.test(l)).map((l) => {
        const [key, glob] = l.split("=", 2);
        return { include: key === "path-include", re: new RegExp(`^${glob.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`) };
    });
}

/** Every file under Debian's dist-packages that importing `modules` loads here, with Debian's python3. */
function loadedAzureFiles(modules: string[]): string[] {
    const script = `import sys\n${modules.map((m) => `import ${m}`).join("\n")}\nprint("\\n".join(sorted({m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None) and "/dist-packages/azure/" in m.__file__})))`;
    const r = spawnSync(PYTHON, ["-c", script], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.trim().split("\n").filter(Boolean);
}

/** The version of a Debian package installed here, or undefined. */
function installedVersion(pkg: string): string | undefined {
    const r = spawnSync("dpkg-query", ["-W", "-f=${Version}", pkg], { encoding: "utf8" });
    return r.status === 0 && r.stdout ? r.stdout : undefined;
}

/** The Debian package that owns each path here: one `dpkg-query -S` for all of them (each call reads every file list). */
function owners(paths: string[]): Map<string, string> {
    const r = spawnSync("dpkg-query", ["-S", ...paths], { encoding: "utf8", maxBuffer: 64 << 20 });
    expect(r.status, r.stderr).toBe(0);
    return new Map(r.stdout.trim().split("\n").map((l) => {
        const at = l.indexOf(": ");
        return [l.slice(at + 2), l.slice(0, at)] as const;
    }));
}

// Docker's Debian bookworm slim image (a dated tag or the release's), pinned by digest: the image rehearsal stands it
// in for with debootstrap bookworm (test/images/bases.ts), and the tests run on bookworm's python3.
const DEBIAN_BASE = /^debian:(?:bookworm|12)(?:-\d{8}|\.\d+)?-slim@sha256:[0-9a-f]{64}$/;
const NON_ROOT = /^[1-9]\d*(:[1-9]\d*)?$/;

const PYTHON_EXAMPLES = [
    { dir: "storage-queue-consumer", entry: "consumer.py" },
    { dir: "servicebus-receiver", entry: "receiver.py" },
    { dir: "handlers/http", entry: "handler.py" },
];

describe.each(PYTHON_EXAMPLES)("examples/$dir image", ({ dir: name, entry }) => {
    const dir = join(__dirname, name);
    const df = parseDockerfile(join(dir, "Dockerfile"));
    const azure = azureModules(dir, entry);

    // The versions compared are the ones the tests run with: install them as the tests do when missing.
    beforeAll(() => (azure.length ? ensurePythonAzure() : ensureDebianPython(["json"], ["python3"])), INSTALL_TIMEOUT_MS);

    it("has one base, Debian bookworm slim pinned by tag and digest, and installs nothing from PyPI", () => {
        expect(df.from).toHaveLength(1);
        expect(df.from[0]).toMatch(DEBIAN_BASE);
        for (const run of df.runs) expect(run, "pip installs from PyPI, which the rehearsal and CI cannot reach").not.toMatch(/\bpip3?\s+install\b|-m\s+pip\b/);
    });

    it("pins every Debian package it names to the version its tests run with, without recommends, leaving no apt lists", () => {
        const installs = aptInstalls(df);
        expect(installs.map((i) => i.name)).toContain("python3");
        for (const i of installs) {
            expect(i.version, `${i.raw} is not pinned (name=version)`).toBeDefined();
            expect(i.version, `${i.name}: the image pins ${i.version}, the tests run ${installedVersion(i.name)}`).toBe(installedVersion(i.name));
        }
        for (const run of df.runs.filter((r) => /apt-get\s+install/.test(r))) {
            for (const m of run.matchAll(/apt-get\s+install\s+([^&|;]+)/g)) expect(m[1]).toContain("--no-install-recommends");
            expect(run).toContain("rm -rf /var/lib/apt/lists/*");
        }
    });

    it("runs as a numeric non-root user, the entry point by absolute path with Debian's python3", () => {
        expect(df.user).toMatch(NON_ROOT);
        expect(df.entrypoint).toEqual([PYTHON, `/app/${entry}`]);
    });

    it("copies in every local module the entry point imports, and .dockerignore sends them", () => {
        const copied = new Set(df.copies.flatMap((c) => c.sources));
        const needed = new Set([entry, ...localImports(dir, entry)]);
        for (const f of needed) {
            expect(copied.has(f), `${f} is not copied`).toBe(true);
            expect(sentToBuild(dir, f), `${f} is excluded by .dockerignore`).toBe(true);
        }
        for (const c of df.copies.flatMap((x) => x.sources)) expect(sentToBuild(dir, c), `${c} is copied but excluded by .dockerignore`).toBe(true);
        // Tests stay out of the image.
        for (const t of readdirSync(dir).filter((f) => /^(test|fake)_.*\.py$|\.test\.ts$/.test(f))) expect(sentToBuild(dir, t), t).toBe(false);
    });

    it("keeps (dpkg path filter) every Azure SDK file the code loads, from Debian packages it installs, or imports none", () => {
        const filterCopy = df.copies.find((c) => c.dest.startsWith("/etc/dpkg/dpkg.cfg.d/"));
        if (azure.length === 0) {
            expect(aptInstalls(df).filter((i) => i.name.startsWith("python3-azure"))).toEqual([]);
            return expect(filterCopy).toBeUndefined();
        }
        expect(filterCopy, "no dpkg path filter is copied to /etc/dpkg/dpkg.cfg.d/").toBeDefined();
        // The filter is in place before the SDK is unpacked: copied before the RUN that installs it.
        const text = readFileSync(join(dir, "Dockerfile"), "utf8");
        expect(text.indexOf(`COPY ${filterCopy!.sources[0]}`)).toBeLessThan(text.indexOf("python3-azure="));
        const rules = parseFilter(readFileSync(join(dir, filterCopy!.sources[0]), "utf8"));
        const installed = new Set(aptInstalls(df).map((i) => i.name));
        const files = loadedAzureFiles(azure);
        expect(files.length).toBeGreaterThan(10);
        const owner = owners(files);
        for (const f of files) {
            // The file, and every directory above it below dist-packages: dpkg does not unpack into a directory it left out.
            const parts = f.split("/");
            const top = parts.indexOf("dist-packages");
            for (let i = top + 2; i <= parts.length; i++) expect(keptByFilter(rules, parts.slice(0, i).join("/")), `${parts.slice(0, i).join("/")} is filtered out`).toBe(true);
            expect(installed.has(owner.get(f) ?? ""), `${f} comes from ${owner.get(f)}, which the image does not install`).toBe(true);
        }
        // The filter does leave out what the code does not load (it is what keeps the image small).
        expect(keptByFilter(rules, "/usr/lib/python3/dist-packages/azure/mgmt/compute/__init__.py")).toBe(false);
    });

    it("pins (==) every Azure SDK package it imports in requirements-pypi.txt (the PyPI alternative), or has none", () => {
        const reqPath = join(dir, "requirements-pypi.txt");
        if (azure.length === 0) return expect(existsSync(reqPath)).toBe(false);
        const pins = new Map(readFileSync(reqPath, "utf8").split("\n").filter((l) => l && !l.startsWith("#")).map((l) => {
            const m = /^([a-z0-9-]+)==(\d+(?:\.\d+)+)$/.exec(l.trim());
            expect(m, `not pinned with ==: ${l}`).not.toBeNull();
            return [m![1], m![2]] as const;
        }));
        for (const mod of azure) expect(pins.has(mod.replace(/\./g, "-")), `${mod} is imported but not pinned`).toBe(true);
        expect(sentToBuild(dir, "requirements-pypi.txt")).toBe(true);
    });
});

describe("examples/handlers/exec image", () => {
    const dir = join(__dirname, "handlers", "exec");
    const df = parseDockerfile(join(dir, "Dockerfile"));

    it("is the worker image (a required build argument) with the handler added, run by the worker's exec mode", () => {
        expect(df.args).toHaveProperty("WORKER_IMAGE", undefined);
        expect(df.from).toEqual(["${WORKER_IMAGE}"]);
        const copy = df.copies.find((c) => c.sources.includes("handler.sh"));
        expect(copy?.dest).toBe("/handler/handler.sh");
        expect(sentToBuild(dir, "handler.sh")).toBe(true);
        expect(sentToBuild(dir, "handler.test.ts")).toBe(false);
        expect(df.cmd).toEqual(["work", "--handler", "exec", "--", copy!.dest]);
        expect(df.user).toMatch(NON_ROOT);
    });

    it("relies only on what the worker image has: its base is Debian bookworm, whose sh and coreutils (Essential) the handler uses", () => {
        // Every stage is that base or scratch filled from it (the worker image's runtime stage copies its file system).
        const worker = parseDockerfile(join(__dirname, "..", "consumer", "Dockerfile"));
        expect(worker.args.NODE_IMAGE).toMatch(/^node:[\d.]+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
        for (const from of worker.from) expect(from.split(/\s+/)[0]).toMatch(/^(node:[\d.]+-bookworm-slim(@sha256:[0-9a-f]{64})?|scratch)$/);
    });
});
