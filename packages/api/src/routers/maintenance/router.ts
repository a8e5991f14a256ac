import { createTRPCRouter } from "../../trpc";
import { addFleetBlackout } from "./add-fleet-blackout";
import { defer } from "./defer";
import { fleetBlackouts } from "./fleet-blackouts";
import { get } from "./get";
import { removeFleetBlackout } from "./remove-fleet-blackout";
import { setBlackouts } from "./set-blackouts";
import { setWindow } from "./set-window";

export const maintenanceRouter = createTRPCRouter({
  get,
  setWindow,
  setBlackouts,
  defer,
  fleetBlackouts,
  addFleetBlackout,
  removeFleetBlackout,
});
