/** The whole stack's config: the platform keys, plus KEDA and workloads (added by their components). */
import { z } from "zod";
import { platformSchema } from "./schema";

export const stackSchema = platformSchema;
export type StackConfig = z.infer<typeof stackSchema>;
