/**
 * Runs the Python examples for their tests: Debian's python3 (3.11 on bookworm) with Debian's Azure SDK for Python
 * (`python3-azure`, `python3-azure-storage`), installed by the test itself when missing — PyPI is not reachable from
 * this machine or CI, Debian's archive is (BRIEF). The images install the same packages at the same versions
 * (examples/images.test.ts compares them). Never a pyenv or venv python on PATH: Debian's packages install into
 * /usr/lib/python3/dist-packages, which only /usr/bin/python3 reads.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";

export const PYTHON = "/usr/bin/python3";

/** How long an install may take on a fresh machine (python3-azure is ~540 MB unpacked). */
export const INSTALL_TIMEOUT_MS = 15 * 60_000;

function importable(modules: string[]): boolean {
    return existsSync(PYTHON) && spawnSync(PYTHON, ["-c", `import ${modules.join(", ")}`], { stdio: "ignore" }).status === 0;
}

/**
 * Makes `modules` importable by Debian's python3, installing `packages` with apt-get when they are not (as root; a
 * fresh CI machine has neither). Test files run in parallel: one install at a time (flock), and each looks again once
 * it holds the lock. A machine without package lists yet ("Unable to locate package") gets `apt-get update` first.
 * Throws with what to run when it cannot.
 */
export function ensureDebianPython(modules: string[], packages: string[]): void {
    if (importable(modules)) return;
    const fix = `run as root: apt-get update && apt-get install -y ${packages.join(" ")}`;
    if (process.getuid?.() !== 0) throw new Error(`${PYTHON} cannot import ${modules.join(", ")} and this is not root: ${fix}`);
    const install = `apt-get install -y -q --no-install-recommends ${packages.join(" ")}`;
    const script = `${PYTHON} -c 'import ${modules.join(", ")}' 2>/dev/null || ${install} || { apt-get update -q && ${install}; }`;
    const r = spawnSync("flock", ["-w", String(INSTALL_TIMEOUT_MS / 1000), "/tmp/kedascale-examples-apt.lock", "sh", "-c", script], {
        env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
        encoding: "utf8",
        timeout: INSTALL_TIMEOUT_MS,
    });
    const output = `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`;
    if (r.status !== 0 || !importable(modules)) throw new Error(`installing ${packages.join(" ")} failed (${fix}):\n${output.slice(-4000)}`);
}

/** The Azure SDK modules the examples import, and Debian's packages that carry them. */
export function ensurePythonAzure(): void {
    ensureDebianPython(["azure.storage.queue", "azure.storage.blob", "azure.servicebus", "azure.identity"], ["python3-azure", "python3-azure-storage"]);
}

export interface PyProcess {
    readonly proc: ChildProcess;
    readonly stdout: string[];
    readonly stderr: string[];
    readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
    /** JSON log lines seen so far (stdout and stderr). */
    logs(): Record<string, any>[];
    /** Resolves with the first log line `match` accepts, rejects if the process exits first. */
    waitForLog(match: (l: Record<string, any>) => boolean): Promise<Record<string, any>>;
}

/** Starts a process (python by default) with `env` on top of a clean environment: no KEDASCALE_* leaks in from the host. */
export function start(args: string[], o: { env?: Record<string, string>; cwd?: string; input?: Buffer | string; command?: string } = {}): PyProcess {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("KEDASCALE_") && !k.startsWith("AZURE_") && !k.startsWith("CE_")));
    const proc = spawn(o.command ?? PYTHON, args, { cwd: o.cwd, env: { ...base, PYTHONDONTWRITEBYTECODE: "1", ...o.env }, stdio: ["pipe", "pipe", "pipe"] });
    const stdout: string[] = [];
    const stderr: string[] = [];
    const waiters: { match: (l: Record<string, any>) => boolean; resolve: (l: Record<string, any>) => void }[] = [];
    const parsed: Record<string, any>[] = [];
    const lineSink = (into: string[]) => {
        let buffered = "";
        return (chunk: Buffer) => {
            buffered += chunk.toString();
            const parts = buffered.split("\n");
            buffered = parts.pop()!;
            for (const line of parts) {
                into.push(line);
                try {
                    const l = JSON.parse(line);
                    parsed.push(l);
                    for (const w of [...waiters]) if (w.match(l)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(l));
                } catch {
                    /* not a log line */
                }
            }
        };
    };
    proc.stdout!.on("data", lineSink(stdout));
    proc.stderr!.on("data", lineSink(stderr));
    proc.stdin!.on("error", () => {}); // a process that exits without reading its stdin
    proc.stdin!.end(o.input ?? "");
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once("close", (code, signal) => resolve({ code, signal })));
    return {
        proc,
        stdout,
        stderr,
        exit,
        logs: () => [...parsed],
        waitForLog: (match) => {
            const seen = parsed.find(match);
            if (seen) return Promise.resolve(seen);
            return new Promise((resolve, reject) => {
                waiters.push({ match, resolve });
                void exit.then((e) => reject(new Error(`exited (${e.code ?? e.signal}) before the awaited log line:\n${stdout.join("\n")}\n${stderr.join("\n")}`)));
            });
        },
    };
}

/** Runs to the end; the output comes back whatever the exit code. */
export async function run(args: string[], o: Parameters<typeof start>[1] = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; logs: Record<string, any>[] }> {
    const p = start(args, o);
    const e = await p.exit;
    return { ...e, stdout: p.stdout.join("\n"), stderr: p.stderr.join("\n"), logs: p.logs() };
}

/** Runs a directory's `test_*.py` with unittest; returns the output (unittest writes its report on stderr). */
export async function unittest(cwd: string): Promise<{ code: number | null; output: string }> {
    const r = await run(["-m", "unittest", "discover", "-s", ".", "-p", "test_*.py", "-v"], { cwd });
    return { code: r.code, output: `${r.stdout}\n${r.stderr}` };
}
