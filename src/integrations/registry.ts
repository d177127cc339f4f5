// Every integration, registered in one place.
import type { Integration } from "./types.ts";
import { webhook } from "./webhook/index.ts";

export const integrations: readonly Integration[] = [webhook];
