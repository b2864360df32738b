/**
 * @module master/child-messages
 * The IPC messages between the master and a child process (`server.processes` > 1).
 */
import type { StopMode } from "../io/messages.ts";
import type { PlanData } from "./plan-data.ts";
import type { StatsMessage } from "../stats/stats-push.ts";
import type { ServingHealth } from "./serving.ts";

/** A topic publish crossing processes (pubsub/mesh.ts uplink → master → the other children); data in base64. */
export interface PublishMessage {
  t: "publish";
  topic: string;
  data: string;
}

export type ToChild = { t: "start"; index: number; generation: number; plan: PlanData } | { t: "stop"; drainMs: number; mode: StopMode } | PublishMessage;

export type FromChild = { t: "listening"; ports: number[] } | { t: "start-failed"; code?: string; message: string } | { t: "stopped" } | StatsMessage | PublishMessage
  /** How the child's threads are doing (sent when it changes), for the master's /readyz. */
  | { t: "health"; health: ServingHealth };
