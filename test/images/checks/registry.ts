/**
 * Which checks run on which image, by its Dockerfile (as the stacks build it). An image the stacks build with no entry
 * here is still built, and reported as "NOT RUN" by name.
 */
import type { Azurite } from "../../../consumer/src/azurite";
import type { Built } from "../build";
import type { Engine } from "../engine";
import type { Verdicts } from "./check";
import { execHandlerChecks, httpHandlerChecks } from "./handlers";
import { serviceBusReceiverChecks } from "./serviceBusReceiver";
import { storageConsumerChecks } from "./storageConsumer";
import { workerChecks } from "./worker";

export interface RunContext {
    azurite: Azurite;
    /** Every image built this run (a handler's checks run it beside the worker image). */
    built: readonly Built[];
    verdicts: Verdicts;
}

export interface ImageChecks {
    dockerfile: string;
    run(engine: Engine, image: Built, ctx: RunContext): Promise<void>;
    /** A Node entry point whose start is timed inside the image against the host (startup.ts), with arguments. */
    start?: { entry: string; args: string[] };
}

export const CHECKS: readonly ImageChecks[] = [
    {
        dockerfile: "consumer/Dockerfile",
        run: (engine, image, ctx) => workerChecks(engine, image, ctx.azurite, ctx.verdicts),
        start: { entry: "/app/dist/worker.cjs", args: ["--version"] },
    },
    { dockerfile: "examples/storage-queue-consumer/Dockerfile", run: storageConsumerChecks },
    { dockerfile: "examples/servicebus-receiver/Dockerfile", run: serviceBusReceiverChecks },
    { dockerfile: "examples/handlers/http/Dockerfile", run: httpHandlerChecks },
    { dockerfile: "examples/handlers/exec/Dockerfile", run: execHandlerChecks },
];
