import { describe, expect, it } from "vitest";
import { lastErrorLine } from "../../src/etcd/service.js";

describe("the line of a service log that says why etcd failed", () => {
  it("etcd 3.4's own error line, without its time and level, over systemd's exit notice (the local model's journal)", () => {
    const log = [
      '2026-11-30T18:30:38.556Z etcd[4242]: 2026-11-30 18:30:38.556947 I | etcdmain: Loading server configuration from "/etc/etcd/etcd.conf.yml".',
      "2026-11-30T18:30:38.557Z etcd[4242]: 2026-11-30 18:30:38.557029 E | etcdmain: error verifying flags, open /etc/etcd/etcd.conf.yml: permission denied. See 'etcd --help'.",
      "2026-11-30T18:30:38.560Z systemd[1]: etcd.service: Main process exited, code=exited, status=1/FAILURE",
    ];
    expect(lastErrorLine(log)).toBe("etcdmain: error verifying flags, open /etc/etcd/etcd.conf.yml: permission denied. See 'etcd --help'.");
  });

  it("zap's JSON (etcd 3.4 with logger: zap): its message and error", () => {
    const log = [
      'Nov 30 18:30:38 host etcd[77]: {"level":"info","ts":"2026-11-30T18:30:38Z","msg":"starting"}',
      'Nov 30 18:30:38 host etcd[77]: {"level":"fatal","ts":"2026-11-30T18:30:38Z","caller":"etcdmain/etcd.go:271","msg":"listener failed","error":"listen tcp 10.0.0.1:2380: bind: address already in use"}',
      "Nov 30 18:30:38 host systemd[1]: etcd.service: Failed with result 'exit-code'.",
    ];
    expect(lastErrorLine(log)).toBe("listener failed: listen tcp 10.0.0.1:2380: bind: address already in use");
  });

  it("with no error of its own, its last line; with none at all, systemd's; with an empty log, nothing", () => {
    expect(lastErrorLine(["Nov 30 18:30:38 host etcd[77]: bye", "Nov 30 18:30:38 host systemd[1]: etcd.service: Main process exited"])).toBe("bye");
    expect(lastErrorLine(["Nov 30 18:30:38 host systemd[1]: etcd.service: Main process exited, code=killed, status=9/KILL"])).toBe(
      "etcd.service: Main process exited, code=killed, status=9/KILL",
    );
    expect(lastErrorLine([])).toBeUndefined();
  });
});
