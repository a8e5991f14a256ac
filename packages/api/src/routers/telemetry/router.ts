import { createTRPCRouter } from "../../trpc";
import { deploymentSeries } from "./deployment-series";
import { fleetSeries } from "./fleet-series";
import { stale } from "./stale";
import { versionLag } from "./version-lag";

export const telemetryRouter = createTRPCRouter({ deploymentSeries, fleetSeries, versionLag, stale });
