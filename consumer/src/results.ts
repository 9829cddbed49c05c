/**
 * Result blobs written create-only (If-None-Match: *): a redelivered message finds its result already there
 * and completes, so at-least-once delivery never yields a second, different result.
 */
import type { ContainerClient } from "@azure/storage-blob";

export type WriteOutcome = "written" | "alreadyExists";

export class ResultStore {
    constructor(readonly container: ContainerClient) {}

    async writeOnce(name: string, content: string): Promise<WriteOutcome> {
        try {
            await this.container.getBlockBlobClient(name).upload(content, Buffer.byteLength(content), {
                conditions: { ifNoneMatch: "*" },
                blobHTTPHeaders: { blobContentType: "application/json" },
            });
            return "written";
        } catch (e) {
            const status = (e as { statusCode?: number }).statusCode;
            // 409 BlobAlreadyExists (and 412 from some proxies) mean an earlier delivery already wrote it.
            if (status === 409 || status === 412) return "alreadyExists";
            throw e;
        }
    }

    async read(name: string): Promise<string> {
        return (await this.container.getBlockBlobClient(name).downloadToBuffer()).toString("utf8");
    }

    async *list(prefix: string): AsyncGenerator<string> {
        for await (const blob of this.container.listBlobsFlat({ prefix })) yield blob.name;
    }
}
