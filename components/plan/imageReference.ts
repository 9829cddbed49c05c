/**
 * OCI image references, parsed by the grammar of distribution/reference (the package Docker, containerd and the
 * Kubernetes tooling use): reference.go "Grammar" and regexp.go at 0965666a (2026-04-18), re-stated here because no
 * npm port of it is kept up to date (the ones on npm are years behind and unpinned transitively).
 *
 *   reference        := name [ ":" tag ] [ "@" digest ]
 *   name             := [domain '/'] remote-name
 *   domain           := host [':' port-number]          ; domain-name | IPv6 in brackets
 *   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
 *   path-component   := alpha-numeric [separator alpha-numeric]*
 *   alpha-numeric    := /[a-z0-9]+/
 *   separator        := /[_.]|__|[-]+/                   ; regexp.go (the comment's [-]* is a typo there)
 *   tag              := /[\w][\w.-]{0,127}/
 *   digest           := algorithm ":" hex               ; /[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}/
 *   name total length ≤ 255 (NameTotalLengthMax)
 * The first path component is a domain only if it contains '.' or ':' or is `localhost` (normalize.go
 * splitDockerDomain); otherwise the image is on Docker Hub (`docker.io`, `library/` for one-component names).
 */

const alphanumeric = "[a-z0-9]+";
const separator = "(?:[._]|__|[-]+)";
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const host = `(?:${domainName}|\\[(?:[a-fA-F0-9:]+)\\])`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const tag = "[\\w][\\w.-]{0,127}";
const digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}";
const REFERENCE = new RegExp(`^((?:${domainAndPort}/)?${remoteName})(?::(${tag}))?(?:@(${digest}))?$`);
const NAME_TOTAL_LENGTH_MAX = 255;
/** Docker Hub's registry, as the tooling names it once normalised. */
export const DOCKER_HUB = "docker.io";

export interface ImageReference {
    /** Registry host[:port], normalised (`docker.io` for Docker Hub). */
    readonly domain: string;
    /** Repository path inside the registry (`library/nginx` for `nginx`). */
    readonly repository: string;
    readonly tag?: string;
    readonly digest?: string;
}

/** The parsed reference, or why it is not one (in words naming the grammar). */
export function parseImageReference(ref: string): ImageReference | { error: string } {
    const m = REFERENCE.exec(ref);
    if (!m) {
        if (/[A-Z]/.test(ref.split(/[:@]/)[0].split("/").slice(1).join("/"))) return { error: "the repository path has uppercase letters; OCI repository names are lowercase" };
        return { error: "is not an OCI image reference (distribution/reference grammar: [registry/]repository[:tag][@sha256:digest], repository lowercase)" };
    }
    const [, name, t, d] = m;
    if (name.length > NAME_TOTAL_LENGTH_MAX) return { error: `its name is ${name.length} characters, above the ${NAME_TOTAL_LENGTH_MAX} the grammar allows` };
    if (d !== undefined && d.startsWith("sha256:") && !/^sha256:[0-9a-f]{64}$/.test(d)) return { error: "its sha256 digest is not 64 lowercase hex characters" };
    const slash = name.indexOf("/");
    const first = slash < 0 ? "" : name.slice(0, slash);
    const hasDomain = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost");
    const domain = hasDomain ? first : DOCKER_HUB;
    let repository = hasDomain ? name.slice(slash + 1) : name;
    if (!hasDomain && !repository.includes("/")) repository = `library/${repository}`;
    if (!hasDomain && /[A-Z]/.test(first)) return { error: "the repository path has uppercase letters; OCI repository names are lowercase" };
    return { domain: domain === "index.docker.io" || domain === "registry-1.docker.io" ? DOCKER_HUB : domain, repository, ...(t !== undefined ? { tag: t } : {}), ...(d !== undefined ? { digest: d } : {}) };
}

export const isParseError = (r: ImageReference | { error: string }): r is { error: string } => "error" in r;
