export * from "./errors";
export * from "./roles";
export * from "./csv";
export * from "./deployment";
export * from "./instances";
export * from "./schemas";
export * from "./cursor";
export * from "./catalog";
