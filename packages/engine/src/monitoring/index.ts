export * from "./types";
export * from "./http-probe";
export * from "./prometheus";
export * from "./local";
export * from "./traffic";
