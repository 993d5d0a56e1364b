import type { Rule } from "../../types.js";
import { rule as connectionBudgetExceeded } from "./connection-budget-exceeded.js";
import { rule as dbShmTooSmall } from "./db-shm-too-small.js";
import { rule as memoryHardExceedsContainer } from "./memory-hard-exceeds-container.js";
import { rule as memorySoftTooLow } from "./memory-soft-too-low.js";
import { rule as noMemoryLimit } from "./no-memory-limit.js";
import { rule as timeLimitsInconsistent } from "./time-limits-inconsistent.js";
import { rule as workersExceedCpu } from "./workers-exceed-cpu.js";

/** Rules of the performance category. Add each rule file's export here, sorted by id. */
export const performanceRules: Rule[] = [
  connectionBudgetExceeded,
  dbShmTooSmall,
  memoryHardExceedsContainer,
  memorySoftTooLow,
  noMemoryLimit,
  timeLimitsInconsistent,
  workersExceedCpu,
];
