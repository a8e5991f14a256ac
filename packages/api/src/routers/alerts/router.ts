import { createTRPCRouter } from "../../trpc";
import { acknowledge } from "./acknowledge";
import { cancelSilence } from "./cancel-silence";
import { clearOverride } from "./clear-override";
import { fleet } from "./fleet";
import { list } from "./list";
import { rules } from "./rules";
import { setOverride } from "./set-override";
import { silence } from "./silence";
import { silences } from "./silences";
import { updateRule } from "./update-rule";

export const alertsRouter = createTRPCRouter({
  list,
  fleet,
  acknowledge,
  silence,
  cancelSilence,
  silences,
  rules,
  updateRule,
  setOverride,
  clearOverride,
});
