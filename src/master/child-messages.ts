/**
 * @module master/child-messages
 * The IPC messages between the master and a child process (`server.processes` > 1).
 */
import type { StopMode } from "../io/messages.ts";
import type { PlanData } from "./plan-data.ts";
import type { StatsMessage } from "../stats/stats-push.ts";

export type ToChild = { t: "start"; index: number; generation: number; plan: PlanData } | { t: "stop"; drainMs: number; mode: StopMode };

export type FromChild = { t: "listening"; ports: number[] } | { t: "start-failed"; message: string } | { t: "stopped" } | StatsMessage;
