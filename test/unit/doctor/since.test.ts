import { describe, expect, it } from "vitest";
import { parseSince } from "../../../src/cli/commands/doctor-logs.js";

describe("--since", () => {
  const now = new Date(Date.UTC(2026, 10, 27, 12, 0, 0));

  it("GIVEN a duration THEN that long before now", () => {
    expect(parseSince("30m", now)).toBe(Date.UTC(2026, 10, 27, 11, 30));
    expect(parseSince("2h", now)).toBe(Date.UTC(2026, 10, 27, 10, 0));
    expect(parseSince("1d", now)).toBe(Date.UTC(2026, 10, 26, 12, 0));
    expect(parseSince("90s", now)).toBe(Date.UTC(2026, 10, 27, 11, 58, 30));
  });

  it("GIVEN a date or date/time as written in the log THEN UTC, unless it names a zone", () => {
    expect(parseSince("2026-11-27", now)).toBe(Date.UTC(2026, 10, 27));
    expect(parseSince("2026-11-27 02:00", now)).toBe(Date.UTC(2026, 10, 27, 2, 0));
    expect(parseSince("2026-11-27 02:09:16,746", now)).toBe(Date.UTC(2026, 10, 27, 2, 9, 16, 746));
    expect(parseSince("2026-11-27T02:00:00+01:00", now)).toBe(Date.UTC(2026, 10, 27, 1, 0));
  });

  it("GIVEN anything else THEN a usage error naming the accepted forms", () => {
    expect(() => parseSince("yesterday", now)).toThrow(/--since "yesterday"/);
    expect(() => parseSince("2026-13-45", now)).toThrow(/neither a duration nor a date/);
  });
});
