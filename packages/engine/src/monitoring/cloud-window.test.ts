import { describe, expect, it } from "vitest";
import { metricWindow } from "./cloud-window";

const settings = { publishDelayMs: 2 * 60_000, firstWindowMs: 5 * 60_000, maxWindowMs: 60 * 60_000 };
const at = (iso: string) => new Date(`2026-11-27T${iso}Z`);

describe("metricWindow", () => {
  it("reads from the previous collection to now, shifted by the publishing delay, in whole minutes", () => {
    const window = metricWindow(at("10:07:30"), at("10:02:10"), settings);
    expect(window).toEqual({ start: at("10:00:00"), end: at("10:05:00"), seconds: 300 });
  });

  it("tiles: the next window starts where the last one ended", () => {
    const first = metricWindow(at("10:07:30"), at("10:02:10"), settings);
    const second = metricWindow(at("10:08:45"), at("10:07:30"), settings);
    expect(second.start).toEqual(first.end);
    expect(second).toMatchObject({ end: at("10:06:00"), seconds: 60 });
  });

  it("reads the last whole minute again when polled twice within a minute", () => {
    expect(metricWindow(at("10:07:40"), at("10:07:30"), settings)).toEqual({
      start: at("10:04:00"),
      end: at("10:05:00"),
      seconds: 60,
    });
  });

  it("reads the first window's length the first time, and at most maxWindowMs after a long pause", () => {
    expect(metricWindow(at("10:07:30"), null, settings)).toMatchObject({
      start: at("10:00:00"),
      seconds: 300,
    });
    expect(metricWindow(at("10:07:30"), at("02:00:00"), settings)).toMatchObject({
      start: at("09:05:00"),
      end: at("10:05:00"),
      seconds: 3600,
    });
  });
});
