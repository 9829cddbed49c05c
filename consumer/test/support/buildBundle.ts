import { execFileSync } from "node:child_process";
import { join } from "node:path";

/** vitest globalSetup: bundle the worker exactly as the Dockerfile's build stage does (`npm run build`). */
export default function setup(): void {
    execFileSync("npm", ["run", "build", "--silent"], { cwd: join(__dirname, "..", ".."), stdio: "inherit" });
}
