import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { blockedMessage, CHARM_OPTIONS, parseCharmConfig, type ConfigProblem } from "../../src/charm/config.js";

const configYaml = parseYaml(readFileSync(path.join(fileURLToPath(import.meta.url), "../../../config.yaml"), "utf8")) as {
  options: Record<string, { type: string; default: unknown }>;
};
/** What `config-get --format=json` returns for a fresh deployment: every option at its default. */
const defaults: Record<string, unknown> = Object.fromEntries(Object.entries(configYaml.options).map(([name, option]) => [name, option.default]));
const withOptions = (changes: Record<string, unknown>): Record<string, unknown> => ({ ...defaults, ...changes });
const problemsOf = (raw: Record<string, unknown>): ConfigProblem[] => {
  const result = parseCharmConfig(raw);
  return result.ok ? [] : result.problems;
};

describe("the charm config", () => {
  it("knows exactly the options of config.yaml, in config.yaml's order", () => {
    expect([...CHARM_OPTIONS]).toEqual(Object.keys(configYaml.options));
  });

  it("accepts config.yaml's defaults as they are", () => {
    expect(parseCharmConfig(defaults)).toEqual({
      ok: true,
      settings: {
        clientPort: 2379,
        peerPort: 2380,
        heartbeatInterval: 100,
        electionTimeout: 1000,
        snapshotCount: 100000,
        quotaBackendBytes: 2147483648,
        autoCompactionMode: "periodic",
        autoCompactionRetention: "1h",
        enableV2: true,
        logLevel: "info",
        tls: true,
        tlsExtraSans: [],
        snapshotIntervalMs: undefined,
        snapshotRetention: 7,
      },
    });
  });

  it("reads tls-extra-sans as comma- or space-separated entries, each once", () => {
    const result = parseCharmConfig(withOptions({ "tls-extra-sans": "etcd.example.com, 10.0.0.100 *.etcd.internal,etcd.example.com" }));
    expect(result).toMatchObject({ ok: true, settings: { tlsExtraSans: ["etcd.example.com", "10.0.0.100", "*.etcd.internal"] } });
  });

  it.each<[string, unknown]>([
    ["client-port", 1024],
    ["client-port", 65535],
    ["heartbeat-interval", 10],
    ["election-timeout", 500],
    ["election-timeout", 50000],
    ["snapshot-count", 1000],
    ["quota-backend-bytes", 104857600],
    ["quota-backend-bytes", 8589934592],
    ["auto-compaction-retention", "30m"],
    ["auto-compaction-retention", "1h30m"],
    ["auto-compaction-retention", "1.5h"],
    ["auto-compaction-retention", "90s"],
    ["auto-compaction-retention", "72"],
    ["enable-v2", false],
    ["log-level", "debug"],
    ["log-level", "fatal"],
    ["snapshot-interval", "6h"],
    ["snapshot-interval", "10s"],
    ["snapshot-retention", 1],
  ])("accepts %s %j", (option, value) => {
    expect(problemsOf(withOptions({ [option]: value }))).toEqual([]);
  });

  it("reads snapshot-interval as off or a duration in milliseconds", () => {
    expect(parseCharmConfig(withOptions({ "snapshot-interval": "1h30m" }))).toMatchObject({ ok: true, settings: { snapshotIntervalMs: 5_400_000 } });
  });

  it("accepts a revision count as retention when auto-compaction-mode is revision", () => {
    const result = parseCharmConfig(withOptions({ "auto-compaction-mode": "revision", "auto-compaction-retention": "10000" }));
    expect(result).toMatchObject({ ok: true, settings: { autoCompactionMode: "revision", autoCompactionRetention: "10000" } });
  });

  describe("refuses each bad value with one line that names the option, the value and the reason", () => {
    it.each<[string, unknown, string]>([
      ["client-port", 80, "client-port 80 must be between 1024 and 65535"],
      ["client-port", 65536, "client-port 65536 must be between 1024 and 65535"],
      ["client-port", 2379.5, "client-port 2379.5 must be a whole number"],
      ["peer-port", 0, "peer-port 0 must be between 1024 and 65535"],
      ["peer-port", 2379, "client-port and peer-port must differ (both 2379)"],
      ["heartbeat-interval", 9, "heartbeat-interval 9 must be between 10 and 5000"],
      ["heartbeat-interval", 5001, "heartbeat-interval 5001 must be between 10 and 5000"],
      ["election-timeout", 5, "election-timeout 5 must be ≥ 5 × heartbeat-interval (100)"],
      ["election-timeout", 499, "election-timeout 499 must be ≥ 5 × heartbeat-interval (100)"],
      ["election-timeout", 50001, "election-timeout 50001 must be ≤ 50000"],
      ["snapshot-count", 999, "snapshot-count 999 must be ≥ 1000"],
      ["quota-backend-bytes", 104857599, "quota-backend-bytes 104857599 must be between 104857600 and 8589934592"],
      ["quota-backend-bytes", 8589934593, "quota-backend-bytes 8589934593 must be between 104857600 and 8589934592"],
      ["auto-compaction-mode", "daily", 'auto-compaction-mode "daily" must be one of periodic, revision'],
      ["auto-compaction-retention", "0", 'auto-compaction-retention "0" must not be zero'],
      ["auto-compaction-retention", "0h0m", 'auto-compaction-retention "0h0m" must not be zero'],
      ["auto-compaction-retention", "500ms", 'auto-compaction-retention "500ms" must be at least 1s'],
      ["auto-compaction-retention", "3000000h", 'auto-compaction-retention "3000000h" must be at most 2562047h'],
      ["auto-compaction-retention", "soon", 'auto-compaction-retention "soon" must be a duration such as 30m, 1h or 1h30m, or a whole number of hours'],
      ["auto-compaction-retention", "-1h", 'auto-compaction-retention "-1h" must be a duration such as 30m, 1h or 1h30m, or a whole number of hours'],
      ["auto-compaction-retention", "1 h", 'auto-compaction-retention "1 h" must be a duration such as 30m, 1h or 1h30m, or a whole number of hours'],
      ["auto-compaction-retention", "", 'auto-compaction-retention "" must be a duration such as 30m, 1h or 1h30m, or a whole number of hours'],
      ["log-level", "loud", 'log-level "loud" must be one of debug, info, warn, error, panic, fatal'],
      ["log-level", "INFO", 'log-level "INFO" must be one of debug, info, warn, error, panic, fatal'],
      [
        "tls-extra-sans",
        "etcd.example.com,$(reboot)",
        'tls-extra-sans "etcd.example.com,$(reboot)" must list DNS names or IP addresses ("$(reboot)" is neither)',
      ],
      ["snapshot-interval", "9s", 'snapshot-interval "9s" must be at least 10s'],
      ["snapshot-interval", "daily", 'snapshot-interval "daily" must be off, or a duration such as 6h, 30m or 1h30m'],
      ["snapshot-interval", "0", 'snapshot-interval "0" must be at least 10s'],
      ["snapshot-retention", 0, "snapshot-retention 0 must be between 1 and 1000"],
      ["tls-extra-sans", "-bad-.example.com", 'tls-extra-sans "-bad-.example.com" must list DNS names or IP addresses ("-bad-.example.com" is neither)'],
    ])("%s %j", (option, value, message) => {
      expect(problemsOf(withOptions({ [option]: value }))).toEqual([{ option, message }]);
    });
  });

  describe("refuses a missing or wrongly typed option", () => {
    it.each<[string, unknown, string]>([
      ["client-port", undefined, "client-port is not set"],
      ["client-port", "2379", 'client-port "2379" must be a whole number'],
      ["peer-port", null, "peer-port null must be a whole number"],
      ["heartbeat-interval", true, "heartbeat-interval true must be a whole number"],
      ["election-timeout", undefined, "election-timeout is not set"],
      ["snapshot-count", "auto", 'snapshot-count "auto" must be a whole number'],
      ["quota-backend-bytes", [1], "quota-backend-bytes [1] must be a whole number"],
      ["auto-compaction-mode", 1, "auto-compaction-mode 1 must be one of periodic, revision"],
      ["auto-compaction-retention", 1, "auto-compaction-retention 1 must be a string"],
      ["enable-v2", "true", 'enable-v2 "true" must be true or false'],
      ["enable-v2", undefined, "enable-v2 is not set"],
      ["tls", "false", 'tls "false" must be true or false'],
      ["log-level", { level: "info" }, 'log-level {"level":"info"} must be one of debug, info, warn, error, panic, fatal'],
    ])("%s %j", (option, value, message) => {
      const raw = withOptions({});
      if (value === undefined) delete raw[option];
      else raw[option] = value;
      expect(problemsOf(raw)).toEqual([{ option, message }]);
    });

    it("cuts a long value so the message stays one short line", () => {
      const [problem] = problemsOf(withOptions({ "log-level": `${"x".repeat(200)}\nsecond line` }));
      expect(problem?.message).toBe(`log-level "${"x".repeat(32)}…" must be one of debug, info, warn, error, panic, fatal`);
    });

    it("ignores keys that are not its options", () => {
      expect(problemsOf(withOptions({ "some-other-option": 1 }))).toEqual([]);
    });
  });

  describe("cross-field rules", () => {
    it("measures election-timeout against the configured heartbeat-interval", () => {
      expect(problemsOf(withOptions({ "heartbeat-interval": 500, "election-timeout": 2000 }))).toEqual([
        { option: "election-timeout", message: "election-timeout 2000 must be ≥ 5 × heartbeat-interval (500)" },
      ]);
      expect(problemsOf(withOptions({ "heartbeat-interval": 500, "election-timeout": 2500 }))).toEqual([]);
    });

    it("does not judge election-timeout by a heartbeat-interval that is itself invalid", () => {
      expect(problemsOf(withOptions({ "heartbeat-interval": 6000, "election-timeout": 1000 }))).toEqual([
        { option: "heartbeat-interval", message: "heartbeat-interval 6000 must be between 10 and 5000" },
      ]);
    });

    it("lets the ports swap but not coincide", () => {
      expect(problemsOf(withOptions({ "client-port": 2380, "peer-port": 2379 }))).toEqual([]);
      expect(problemsOf(withOptions({ "client-port": 4001, "peer-port": 4001 }))).toEqual([
        { option: "peer-port", message: "client-port and peer-port must differ (both 4001)" },
      ]);
    });

    it("reads auto-compaction-retention by auto-compaction-mode", () => {
      const revision = (retention: string) => problemsOf(withOptions({ "auto-compaction-mode": "revision", "auto-compaction-retention": retention }));
      expect(revision("1h")).toEqual([
        {
          option: "auto-compaction-retention",
          message: 'auto-compaction-retention "1h" must be a whole number of revisions when auto-compaction-mode is revision',
        },
      ]);
      expect(revision("0")).toEqual([{ option: "auto-compaction-retention", message: 'auto-compaction-retention "0" must not be zero' }]);
      expect(revision("9223372036854775808")).toEqual([
        { option: "auto-compaction-retention", message: 'auto-compaction-retention "9223372036854775808" must be at most 9223372036854775807' },
      ]);
    });

    it("does not judge auto-compaction-retention under an invalid auto-compaction-mode", () => {
      expect(problemsOf(withOptions({ "auto-compaction-mode": "hourly", "auto-compaction-retention": "banana" }))).toEqual([
        { option: "auto-compaction-mode", message: 'auto-compaction-mode "hourly" must be one of periodic, revision' },
      ]);
    });
  });

  it("reports every problem at once, in config.yaml's order", () => {
    const raw = withOptions({ "log-level": "loud", "client-port": 80, "auto-compaction-retention": "0", "snapshot-count": 10 });
    delete raw["enable-v2"];
    expect(problemsOf(raw)).toEqual([
      { option: "client-port", message: "client-port 80 must be between 1024 and 65535" },
      { option: "snapshot-count", message: "snapshot-count 10 must be ≥ 1000" },
      { option: "auto-compaction-retention", message: 'auto-compaction-retention "0" must not be zero' },
      { option: "enable-v2", message: "enable-v2 is not set" },
      { option: "log-level", message: 'log-level "loud" must be one of debug, info, warn, error, panic, fatal' },
    ]);
  });

  it("reports every option when config-get returns nothing", () => {
    expect(problemsOf({}).map((problem) => problem.message)).toEqual(CHARM_OPTIONS.map((option) => `${option} is not set`));
  });

  describe("blockedMessage", () => {
    const problem = (option: string): ConfigProblem => ({ option, message: `${option} is wrong` });

    it("is the problem itself when there is one", () => {
      expect(blockedMessage([problem("client-port")])).toBe("client-port is wrong");
    });

    it("names the first problem and counts the others", () => {
      expect(blockedMessage([problem("client-port"), problem("log-level"), problem("enable-v2")])).toBe("client-port is wrong (+2 more)");
    });

    it("is empty without problems", () => {
      expect(blockedMessage([])).toBe("");
    });

    it("turns a parse result into the status line", () => {
      const result = parseCharmConfig(withOptions({ "client-port": 80, "log-level": "loud" }));
      expect(result.ok).toBe(false);
      if (!result.ok) expect(blockedMessage(result.problems)).toBe("client-port 80 must be between 1024 and 65535 (+1 more)");
    });
  });
});
