/** Every kedascale policy, in one list: policy/index.ts packs them; the tests run them against every stack. */
import { acrAdminUserPolicy } from "./acrAdminUser";
import { clusterTierPolicy } from "./clusterTier";
import { noConnectionStringsPolicy } from "./noConnectionStrings";
import { serviceBusLocalAuthPolicy } from "./serviceBusLocalAuth";
import { spotEvictionPolicy } from "./spotEviction";
import { storageAccountAuthPolicy } from "./storageAccountAuth";
import { workloadIdentityPolicy } from "./workloadIdentity";

export const resourcePolicies = [
    acrAdminUserPolicy,
    serviceBusLocalAuthPolicy,
    storageAccountAuthPolicy,
    spotEvictionPolicy,
    workloadIdentityPolicy,
    noConnectionStringsPolicy,
] as const;

export const stackPolicies = [clusterTierPolicy] as const;
