import { createTRPCRouter } from "../../trpc";
import { create } from "./create";
import { fleetSummary } from "./fleet-summary";
import { list } from "./list";
import { update } from "./update";
import { upgradePath } from "./upgrade-path";
import { withdraw } from "./withdraw";

export const releasesRouter = createTRPCRouter({
  list,
  create,
  update,
  withdraw,
  upgradePath,
  fleetSummary,
});
