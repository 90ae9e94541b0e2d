import { execa } from "execa";

/** The charm's own systemd unit. */
export const ETCD_SERVICE = "etcd.service";

/** systemctl, without a shell; the only code that drives etcd's service. */
export class SystemdService {
  constructor(private readonly unit: string = ETCD_SERVICE) {}

  private async systemctl(...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const result = await execa("systemctl", args, { reject: false, stdin: "ignore" });
    return { exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr };
  }

  private async must(...args: string[]): Promise<void> {
    const result = await this.systemctl(...args);
    if (result.exitCode !== 0) throw new Error(`systemctl ${args.join(" ")} failed (exit ${result.exitCode}): ${result.stderr.trim()}`);
  }

  /** Whether etcd runs and how often systemd restarted it by itself: one `systemctl show` for both. */
  async state(): Promise<{ active: boolean; restarts: number }> {
    const result = await this.systemctl("show", "-p", "ActiveState", "-p", "NRestarts", this.unit);
    const values = new Map(result.stdout.split("\n").map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as const));
    const restarts = Number(values.get("NRestarts"));
    return {
      active: result.exitCode === 0 && ["active", "reloading"].includes(values.get("ActiveState") ?? ""),
      restarts: result.exitCode === 0 && Number.isInteger(restarts) ? restarts : 0,
    };
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
