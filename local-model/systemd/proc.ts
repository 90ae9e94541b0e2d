import { readdirSync, readFileSync } from "node:fs";
import type { ResourceLimit } from "./setting-values.js";

/**
 * What /proc says about processes. Without cgroups, a service's processes are its process group; a
 * process's start time (clock ticks since boot) tells a process from a later one that reused its PID.
 */
export interface ProcessInfo {
  readonly pid: number;
  readonly name: string;
  /** One letter: R running, S sleeping, Z zombie, … */
  readonly state: string;
  readonly processGroup: number;
  readonly startTime: number;
}

/** The process as /proc/<pid>/stat describes it, or undefined when there is no such process. */
export function processInfo(pid: number): ProcessInfo | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The name is in parentheses and may itself contain spaces and parentheses: split after the last ")".
  const close = stat.lastIndexOf(")");
  const fields = stat.slice(close + 2).split(" ");
  // Fields after the name, numbered from 3 as in proc(5): state (3), pgrp (5), starttime (22).
  return {
    pid,
    name: stat.slice(stat.indexOf("(") + 1, close),
    state: fields[0] ?? "?",
    processGroup: Number(fields[2]),
    startTime: Number(fields[19]),
  };
}

/** Whether `pid` is still the process that had `startTime` (not gone, not a zombie, not reused). */
export function isSameProcess(pid: number, startTime: number): boolean {
  const info = processInfo(pid);
  return info !== undefined && info.startTime === startTime && info.state !== "Z";
}

/**
 * The living members of the process group a leader (pid = pgid, with its start time) created. Empty when the
 * group is gone, or when its number now belongs to another group: a new process reused the leader's PID.
 */
export function processGroupMembers(processGroup: number, leaderStartTime: number): ProcessInfo[] {
  const leader = processInfo(processGroup);
  // A PID stays allocated while its group has members, so a different process under it means the group is gone.
  if (leader !== undefined && leader.startTime !== leaderStartTime) return [];
  const members: ProcessInfo[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const info = processInfo(Number(entry));
    if (info !== undefined && info.processGroup === processGroup && info.state !== "Z") members.push(info);
  }
  return members;
}

/** Sends `signal` to the process or process group (negative id); false when there was nobody to signal. */
export function sendSignal(target: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
}

/** The daemon's own open-files limit, which services inherit unless LimitNOFILE= says otherwise. */
export function ownNoFileLimit(): ResourceLimit {
  const line = readFileSync("/proc/self/limits", "utf8")
    .split("\n")
    .find((entry) => entry.startsWith("Max open files"));
  const [soft, hard] = line?.split(/\s{2,}/).slice(1, 3) ?? [];
  const value = (text: string | undefined) => (text === undefined || text === "unlimited" ? null : Number(text));
  return { soft: value(soft), hard: value(hard) };
}

const CAP_SYS_RESOURCE = 24n;

/** Whether the daemon may raise hard resource limits (CAP_SYS_RESOURCE; containers often lack it). */
export function canRaiseHardLimits(): boolean {
  const line = readFileSync("/proc/self/status", "utf8")
    .split("\n")
    .find((entry) => entry.startsWith("CapEff:"));
  return line !== undefined && ((BigInt(`0x${line.slice("CapEff:".length).trim()}`) >> CAP_SYS_RESOURCE) & 1n) === 1n;
}
