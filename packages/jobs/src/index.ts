export * from "./definitions";
export * from "./connection";
export * from "./queue";
