/**
 * Result blobs written create-only (If-None-Match: *): a redelivered message finds its result already there
 * and completes, so at-least-once delivery never yields a second, different result. Every call takes a signal:
 * the handler gives each one a deadline (a black-holed results endpoint must not hold a message forever).
 */
import type { ContainerClient } from "@azure/storage-blob";
import type { BodyStore } from "./broker/park";

export type WriteOutcome = "written" | "alreadyExists";

/** Metadata key naming the enqueued copy (broker id) that wrote a result: tells a redelivery from a duplicate send. */
const WRITTEN_BY = "brokerid";

export class ResultStore implements BodyStore {
    constructor(readonly container: ContainerClient) {}

    async writeOnce(name: string, content: string, o: { signal?: AbortSignal; writtenBy?: string } = {}): Promise<WriteOutcome> {
        try {
            await this.container.getBlockBlobClient(name).upload(content, Buffer.byteLength(content), {
                conditions: { ifNoneMatch: "*" },
                blobHTTPHeaders: { blobContentType: "application/json" },
                ...(o.writtenBy ? { metadata: { [WRITTEN_BY]: o.writtenBy } } : {}),
                abortSignal: o.signal,
            });
            return "written";
        } catch (e) {
            const status = (e as { statusCode?: number }).statusCode;
            // 409 BlobAlreadyExists (and 412 from some proxies) mean an earlier delivery already wrote it.
            if (status === 409 || status === 412) return "alreadyExists";
            throw e;
        }
    }

    /** The broker id recorded by writeOnce, if any. */
    async writtenBy(name: string, signal?: AbortSignal): Promise<string | undefined> {
        const props = await this.container.getBlockBlobClient(name).getProperties({ abortSignal: signal });
        return props.metadata?.[WRITTEN_BY];
    }

    async exists(name: string, signal?: AbortSignal): Promise<boolean> {
        return this.container.getBlockBlobClient(name).exists({ abortSignal: signal });
    }

    /** Overwriting write (parked bodies: a re-park of the same message writes the same bytes). */
    async put(name: string, content: string, signal?: AbortSignal): Promise<void> {
        await this.container.getBlockBlobClient(name).upload(content, Buffer.byteLength(content), { abortSignal: signal });
    }

    async read(name: string, signal?: AbortSignal): Promise<string> {
        return (await this.container.getBlockBlobClient(name).downloadToBuffer(undefined, undefined, { abortSignal: signal })).toString("utf8");
    }

    async *list(prefix: string): AsyncGenerator<string> {
        for await (const blob of this.container.listBlobsFlat({ prefix })) yield blob.name;
    }
}
