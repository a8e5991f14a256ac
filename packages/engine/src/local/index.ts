export { LocalEngine, toRequest, type LocalEngineOptions } from "./local-engine";
export type { LocalInstanceRequest, LocalInstanceView } from "./api-types";
