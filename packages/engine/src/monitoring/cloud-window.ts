// The time window a cloud collector reads: from the previous collection to now, both shifted back by the delay with
// which the cloud publishes a minute's data points and cut to whole minutes (the finest period CloudWatch and Cloud
// Monitoring aggregate standard metrics over). Consecutive windows tile: each starts where the last one ended.

import type { CollectResult } from "./types";

export interface MetricWindow {
  start: Date;
  end: Date;
  /** end - start, a multiple of 60. */
  seconds: number;
}

export interface WindowSettings {
  /** How long after a minute its data points are complete. */
  publishDelayMs: number;
  /** The window of a first collection (nothing to continue from). */
  firstWindowMs: number;
  /** The longest window read, e.g. after the worker was down for a day. */
  maxWindowMs: number;
}

const MINUTE = 60_000;

export function metricWindow(now: Date, previousAt: Date | null, settings: WindowSettings): MetricWindow {
  const floorMinute = (ms: number) => Math.floor(ms / MINUTE) * MINUTE;
  const end = floorMinute(now.getTime() - settings.publishDelayMs);
  const wanted = previousAt
    ? end - floorMinute(previousAt.getTime() - settings.publishDelayMs)
    : floorMinute(settings.firstWindowMs);
  // A poll less than a minute after the last one reads the last whole minute again.
  const length = Math.min(Math.max(wanted, MINUTE), Math.max(floorMinute(settings.maxWindowMs), MINUTE));
  return { start: new Date(end - length), end: new Date(end), seconds: length / 1000 };
}

/** What a cloud collector reports for an instance whose stack has no outputs yet: down, nothing to query. */
export function notDeployedResult(at: Date): CollectResult {
  return {
    at,
    health: "down",
    healthDetail: "not deployed yet: the instance has no outputs",
    values: { health_up: 0 },
    state: null,
  };
}
