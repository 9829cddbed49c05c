/**
 * The worker as the last commit built it, for before/after figures: `git archive HEAD consumer` into a temp folder
 * (reads the repository, changes nothing in it), the same node_modules linked in, and that tree's own build
 * (`scripts/build.mjs`, code cache trained by the same Node). Returns its dist/worker.cjs.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..");

export function buildBaseline(rev = "HEAD"): { bundle: string; rev: string; dispose(): void } {
    const dir = mkdtempSync(join(tmpdir(), "kedascale-baseline-"));
    try {
        const sha = execFileSync("git", ["rev-parse", "--short", rev], { cwd: ROOT, encoding: "utf8" }).trim();
        execFileSync("sh", ["-c", `git archive ${sha} consumer package.json | tar -x -C '${dir}'`], { cwd: ROOT });
        symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
        symlinkSync(join(ROOT, "consumer", "node_modules"), join(dir, "consumer", "node_modules"));
        execFileSync(process.execPath, [join(dir, "consumer", "scripts", "build.mjs")], { cwd: join(dir, "consumer"), stdio: "inherit" });
        return { bundle: join(dir, "consumer", "dist", "worker.cjs"), rev: sha, dispose: () => rmSync(dir, { recursive: true, force: true }) };
    } catch (e) {
        rmSync(dir, { recursive: true, force: true });
        throw e;
    }
}
