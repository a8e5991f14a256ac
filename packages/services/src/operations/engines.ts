import type { OrderableCloud } from "@cp/core";
import type { Engine } from "@cp/engine";

/** The drivers this process can use, by cloud. The worker injects them (the Pulumi one only there). */
export type Engines = Partial<Record<OrderableCloud, Engine>>;
