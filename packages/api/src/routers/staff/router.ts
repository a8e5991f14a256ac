import { createTRPCRouter } from "../../trpc";
import { listUsersProcedure } from "./list-users";
import { setStaffRoleProcedure } from "./set-staff-role";

export const staffRouter = createTRPCRouter({
  listUsers: listUsersProcedure,
  setStaffRole: setStaffRoleProcedure,
});
