import { runProgram } from "../run-program.js";

/** The charm's own systemd unit. */
export const ETCD_SERVICE = "etcd.service";

/** What systemd says about the service, from one `systemctl show`. */
export interface ServiceState {
  readonly active: boolean;
  /** Times systemd restarted it by itself (after a crash or a kill) since it was last started. */
  readonly restarts: number;
  /** ActiveState and SubState: "activating"/"auto-restart" is a service waiting to be restarted after it exited. */
  readonly activeState: string;
  readonly subState: string;
}

/** systemctl, without a shell; the only code that drives etcd's service. */
export class SystemdService {
  constructor(private readonly unit: string = ETCD_SERVICE) {}

  private async systemctl(...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const result = await runProgram("systemctl", args);
    return { exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr };
  }

  private async must(...args: string[]): Promise<void> {
    const result = await this.systemctl(...args);
    if (result.exitCode !== 0) throw new Error(`systemctl ${args.join(" ")} failed (exit ${result.exitCode}): ${result.stderr.trim()}`);
  }

  /** Whether etcd runs and how often systemd restarted it by itself: one `systemctl show` for all of it. */
  async state(): Promise<ServiceState> {
    const result = await this.systemctl("show", "-p", "ActiveState", "-p", "SubState", "-p", "NRestarts", this.unit);
    const values = new Map(result.stdout.split("\n").map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as const));
    const restarts = Number(values.get("NRestarts"));
    const ok = result.exitCode === 0;
    const activeState = ok ? (values.get("ActiveState") ?? "") : "";
    return {
      active: ["active", "reloading"].includes(activeState),
      restarts: ok && Number.isInteger(restarts) ? restarts : 0,
      activeState,
      subState: ok ? (values.get("SubState") ?? "") : "",
    };
  }

  /** The service's latest log lines, as `systemctl status` shows them (it exits non-zero for a stopped unit). */
  async recentLog(lines: number): Promise<string[]> {
    const result = await this.systemctl("status", "--no-pager", "--full", "-n", String(lines), this.unit);
    const text = result.stdout.split("\n");
    // The journal follows the status block's first blank line.
    const blank = text.findIndex((line) => line.trim() === "");
    return blank < 0 ? [] : text.slice(blank + 1).filter((line) => line.trim() !== "");
  }

  async isActive(): Promise<boolean> {
    return (await this.systemctl("is-active", "--quiet", this.unit)).exitCode === 0;
  }

  daemonReload(): Promise<void> {
    return this.must("daemon-reload");
  }

  async enableAndStart(): Promise<void> {
    await this.must("enable", this.unit);
    await this.must("start", this.unit);
  }

  restart(): Promise<void> {
    return this.must("restart", this.unit);
  }

  async stopAndDisable(): Promise<void> {
    await this.must("stop", this.unit);
    await this.must("disable", this.unit);
  }

  /** Keeps the distribution's packaged unit from ever starting a stray default member. */
  async mask(): Promise<void> {
    await this.must("mask", this.unit);
  }

  async stop(): Promise<void> {
    await this.must("stop", this.unit);
  }
}

/**
 * The line of a service log that best says why the service failed: the last error its own process printed
 * (etcd's "E |" lines, or zap's JSON with level error/fatal/panic), else its last line of its own, else the
 * service manager's last word. The log's "<time> <name>[pid]: " prefix is dropped.
 */
export function lastErrorLine(log: readonly string[]): string | undefined {
  const entries = log.map((line) => {
    const match = /^.*?\s([^\s[]+)\[(\d+)\]: (.*)$/.exec(line);
    return match ? { who: match[1] ?? "", text: match[3] ?? "" } : { who: "", text: line.trim() };
  });
  const own = entries.filter((entry) => entry.who !== "systemd");
  const isError = (text: string) => / [EFC] \| /.test(text) || /"level":"(error|fatal|panic)"/.test(text) || /\berror\b/i.test(text);
  const chosen = [...own].reverse().find((entry) => isError(entry.text)) ?? own.at(-1) ?? entries.at(-1);
  if (!chosen) return undefined;
  // etcd 3.4's capnslog lines start with their own time and level ("2026-11-30 18:30:38.557029 E | "): noise in a status.
  return zapMessage(chosen.text) ?? chosen.text.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ [A-Z] \| /, "");
}

/** etcd 3.4's zap logger writes JSON lines: its message and error say it; the rest is noise in a status line. */
function zapMessage(text: string): string | undefined {
  if (!text.startsWith("{")) return undefined;
  try {
    const entry: unknown = JSON.parse(text);
    if (typeof entry !== "object" || entry === null) return undefined;
    const { msg, error } = entry as { msg?: unknown; error?: unknown };
    if (typeof msg !== "string") return undefined;
    return typeof error === "string" ? `${msg}: ${error}` : msg;
  } catch {
    return undefined;
  }
}
