/**
 * The Service Bus receiver example (examples/servicebus-receiver, issue 21). Service Bus has no emulator, so its
 * message handling is tested over a fake beside it (receiver.test.ts); here, what only the image can show: it runs
 * as its numeric non-root user under the pod's securityContext, the SDK modules it imports are in the image (dpkg's
 * path filter keeps only some of Debian's python3-azure), and a pod without its configuration exits 2 naming it.
 */
import type { Built } from "../build";
import { runContainer, type ContainerRun } from "../containers";
import type { Engine } from "../engine";
import { expectThat } from "./check";
import type { RunContext } from "./registry";

const said = (r: ContainerRun) => `exit ${r.code}; output: ${(r.stdout + r.stderr).trim().split("\n").slice(-3).join(" | ")}`;

export async function serviceBusReceiverChecks(engine: Engine, image: Built, ctx: RunContext): Promise<void> {
    const v = ctx.verdicts;
    await v.check(image.name, "runs as a numeric non-root user and imports its SDK there", async () => {
        expectThat(/^[1-9]\d*(?::\d+)?$/.test(image.user), `image USER is '${image.user || "(unset: root)"}', not a numeric non-root uid`);
        // The modules receiver.py and what it imports load, as the image's user, from a read-only root.
        const py = "import os, sys; sys.path.insert(0, '/app'); import azure.servicebus, azure.identity, receiver; print(os.getuid())";
        const r = await runContainer(engine, image.ref, ["-c", py], { entrypoint: "python3", shape: "team" });
        expectThat(r.code === 0 && r.lines.at(-1) === image.user.split(":")[0], `expected uid ${image.user.split(":")[0]} and the imports to load; ${said(r)}`);
        return `USER ${image.user}: uid ${r.lines.at(-1)}; azure.servicebus, azure.identity and receiver import`;
    });
    await v.check(image.name, "without its configuration: exits 2, naming what to set", async () => {
        const r = await runContainer(engine, image.ref, [], { shape: "team" });
        const errors = r.logs.filter((l) => l.level === "error").map((l) => String(l.msg));
        expectThat(r.code === 2 && errors.some((m) => /KEDASCALE_/.test(m)), `expected exit 2 and an error naming a KEDASCALE_ variable; ${said(r)}`);
        return `exit 2: ${errors[0]}`;
    });
}
