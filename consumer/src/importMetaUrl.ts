/**
 * Injected by esbuild (see the `build` script) for `import.meta.url`: some Azure SDK ESM builds
 * (@azure/storage-common's crc64) call createRequire(import.meta.url), which a CommonJS bundle leaves undefined
 * and which then throws on the first Storage call. The bundle's own file URL is the honest value.
 */
export const importMetaUrl: string = require("node:url").pathToFileURL(__filename).href;
