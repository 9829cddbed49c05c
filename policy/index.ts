/**
 * kedascale's CrossGuard policy pack: `pulumi preview --policy-pack ./policy`. The only place a PolicyPack is
 * constructed (its constructor starts the policy gRPC server); the policies live in ./policies, one per module.
 * Resources rendered inside a Helm release are invisible to policies (FACTS §10).
 */
import { PolicyPack } from "@pulumi/policy";
import { resourcePolicies, stackPolicies } from "./policies";

new PolicyPack("kedascale", {
    policies: [...resourcePolicies, ...stackPolicies],
});
