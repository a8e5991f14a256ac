export { LocalEngine, toRequest, type LocalEngineOptions } from "./local-engine";
export type { LocalInstanceRequest, LocalInstanceView, LocalRestoreResult, LocalTaskView } from "./api-types";
