/** vitest globalSetup: a folder for the plans this run records (planCache.ts), removed when the run ends. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

export default function setup(project: TestProject): () => void {
    const dir = mkdtempSync(join(tmpdir(), "kedascale-plans-"));
    project.provide("kedascalePlanCache", dir);
    return () => rmSync(dir, { recursive: true, force: true });
}
