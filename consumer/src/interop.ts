/**
 * The module an `await import(...)` of a package resolves to, whatever format the package ships. Under Node or tsx,
 * importing a CommonJS package gives its named exports; in the split bundle (scripts/build.mjs: esbuild code
 * splitting) the chunk of a CommonJS package exports only `default` (its module.exports), as Node's own ESM loader
 * does when it cannot detect the names. @azure/service-bus and cli-progress resolve to CommonJS builds here.
 */
export function interop<T extends object>(m: T): T {
    const own = Object.keys(m).filter((k) => k !== "default" && k !== "__esModule");
    const d = (m as { default?: unknown }).default;
    return (own.length === 0 && d && typeof d === "object" ? d : m) as T;
}
