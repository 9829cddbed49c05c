/**
 * A clean copy of the repository to build from: what a fresh clone of this working tree would hold — tracked files
 * and new files git does not ignore, as they are on disk now (uncommitted edits included), and nothing else (no
 * node_modules, no dist/, no .git). Builds then see exactly what `pulumi up` from a clone sends them, filtered by
 * the real .dockerignore files.
 */
import { copyFileSync, lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { run } from "./exec";

/** The files a clone of the working tree would have (paths relative to the repository root). */
export async function cloneFiles(repoRoot: string): Promise<string[]> {
    const r = await run("git", ["-C", repoRoot, "ls-files", "-z", "--cached", "--others", "--exclude-standard"]);
    return [...new Set(r.stdout.split("\0").filter(Boolean))].sort();
}

/** Copies them into `dest` (emptied first); a tracked file deleted in the working tree is left out, as a commit would. */
export async function cleanCopy(repoRoot: string, dest: string): Promise<{ files: string[] }> {
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest, { recursive: true });
    const files: string[] = [];
    for (const f of await cloneFiles(repoRoot)) {
        const from = join(repoRoot, f);
        let st;
        try {
            st = lstatSync(from);
        } catch {
            continue;
        }
        const to = join(dest, f);
        mkdirSync(dirname(to), { recursive: true });
        if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
        else if (st.isFile()) copyFileSync(from, to);
        else continue;
        files.push(f);
    }
    return { files };
}
