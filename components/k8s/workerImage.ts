import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { acrCredentials } from "../azure/acrToken";

export interface WorkerImageArgs {
    /** Registry to push to: an ACR login server (the deployer needs AcrPush there; the admin user stays off), or a local registry such as localhost:5000. */
    loginServer: pulumi.Input<string>;
    /**
     * Entra tenant of the ACR (for the token exchange). Default: none — push without credentials, as to the local
     * registry of a laptop cluster (ctlptl's `localhost:5000` takes anonymous pushes).
     */
    tenantId?: pulumi.Input<string>;
    /** Build context: the repository root, because npm workspaces keep the one lockfile there (see .dockerignore). */
    context: string;
    /** Path of the Dockerfile. Default: `<context>/consumer/Dockerfile`. */
    dockerfile?: string;
    /** Repository name in the registry. Default: kedascale-worker. */
    repository?: string;
    /** Target platform. Default: linux/amd64 (AKS node pools here are x64). */
    platform?: string;
    /** Multi-stage build target. Default: the Dockerfile's last stage. */
    target?: string;
    /** Build arguments (`--build-arg`), e.g. an exec handler's WORKER_IMAGE (the worker image by digest). Default: none. */
    buildArgs?: Record<string, pulumi.Input<string>>;
}

/**
 * An image built here and pushed to ACR with an Entra token (or to a local registry without one), consumed by digest:
 * the kedascale worker (consumer/, the defaults) or a workload's `image: { build }` (issue 21).
 */
export class WorkerImage extends pulumi.ComponentResource {
    public readonly image: docker.Image;
    /** `<loginServer>/<repository>@sha256:…`: pods pin this, so only a real change rolls them. */
    public readonly imageDigestRef: pulumi.Output<string>;

    constructor(name: string, args: WorkerImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:k8s:WorkerImage", name, {}, opts);
        const tenantId = args.tenantId;
        const credentials = tenantId === undefined ? undefined : pulumi.all([args.loginServer, tenantId]).apply(([server, tenant]) => acrCredentials(server, tenant));
        const image = (this.image = new docker.Image(
            `${name}-image`,
            {
                imageName: pulumi.interpolate`${args.loginServer}/${args.repository ?? "kedascale-worker"}:latest`,
                build: {
                    context: args.context,
                    dockerfile: args.dockerfile ?? `${args.context}/consumer/Dockerfile`,
                    platform: args.platform ?? "linux/amd64",
                    ...(args.target !== undefined ? { target: args.target } : {}),
                    ...(args.buildArgs !== undefined ? { args: args.buildArgs } : {}),
                },
                registry: credentials ? { server: args.loginServer, username: credentials.username, password: pulumi.secret(credentials.password) } : undefined,
            },
            { parent: this },
        ));
        this.imageDigestRef = image.repoDigest;
        this.registerOutputs({ image, imageDigestRef: this.imageDigestRef });
    }
}
