/** Reads what the config is checked against: the target project's Pulumi.yaml and stack files at repoDir. */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import type { RepoView } from "./config";

export function readRepo(dir: string): RepoView {
    const projectFile = join(dir, "Pulumi.yaml");
    if (!existsSync(projectFile)) return { projectDefaults: {}, stackFiles: {} };
    const project = parse(readFileSync(projectFile, "utf8")) as { name?: string; config?: Record<string, { default?: unknown }> };
    const projectDefaults: Record<string, unknown> = {};
    for (const [k, decl] of Object.entries(project.config ?? {})) if (decl && typeof decl === "object" && "default" in decl) projectDefaults[k] = decl.default;
    const stackFiles: RepoView["stackFiles"] = {};
    for (const f of readdirSync(dir)) {
        const stack = /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1];
        if (stack) stackFiles[stack] = (parse(readFileSync(join(dir, f), "utf8")) as RepoView["stackFiles"][string] | null) ?? {};
    }
    return { projectName: project.name, projectDefaults, stackFiles };
}
