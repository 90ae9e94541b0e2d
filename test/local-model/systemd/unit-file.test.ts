import { describe, expect, it } from "vitest";
import { parseEnvironmentFile } from "../../../local-model/systemd/environment-file.js";
import { expandArguments, parseExecCommand } from "../../../local-model/systemd/exec-command.js";
import { serviceDefinition, type ServiceDefinition } from "../../../local-model/systemd/service-definition.js";
import { formatTimeSpan, parseTimeSpan } from "../../../local-model/systemd/time-span.js";
import { parseUnitFile } from "../../../local-model/systemd/unit-file.js";
import { splitWords } from "../../../local-model/systemd/unit-words.js";

const identity = { unitName: "demo.service", hostName: "machine-0" };

function definitionOf(text: string): ServiceDefinition {
  const result = serviceDefinition(parseUnitFile(text, "demo.service"), identity);
  if (!result.ok) throw new Error(result.error);
  return result.definition;
}

const command = (text: string) => parseExecCommand(text, (word) => word);

describe("unit file syntax", () => {
  it("reads sections and assignments, skipping # and ; comments and trimming around keys and values", () => {
    const file = parseUnitFile("# header\n[Unit]\n  Description = A demo  \n; note\n\n[Service]\nExecStart=/bin/true\nX-Custom=kept\n");
    expect(file.assignments.map(({ section, key, value }) => [section, key, value])).toEqual([
      ["Unit", "Description", "A demo"],
      ["Service", "ExecStart", "/bin/true"],
      ["Service", "X-Custom", "kept"],
    ]);
    expect(file.warnings).toEqual([]);
  });

  it("joins continuation lines with a space and skips comment lines inside a continuation", () => {
    const file = parseUnitFile("[Service]\nExecStart=/bin/echo one \\\n# ignored\n; ignored too\n    two\\\n three\n");
    expect(file.assignments.map((assignment) => assignment.value)).toEqual(["/bin/echo one      two  three"]);
    expect(splitWords(file.assignments[0]!.value)).toEqual(["/bin/echo", "one", "two", "three"]);
  });

  it("keeps an escaped backslash at the end of a line", () => {
    const file = parseUnitFile("[Service]\nEnvironment=A=x\\\\\nUser=nobody\n");
    expect(file.assignments.map((assignment) => assignment.value)).toEqual(["A=x\\\\", "nobody"]);
  });

  it("warns about lines it cannot use", () => {
    const file = parseUnitFile("Orphan=1\n[Service]\nnot an assignment\n[Broken\n", "x.service");
    expect(file.warnings).toEqual([
      "x.service:1: assignment outside of section, ignoring",
      "x.service:3: missing '=', ignoring line",
      'x.service:4: invalid section header "[Broken", ignoring',
    ]);
  });
});

describe("service definition", () => {
  it("extracts the settings with systemd's defaults", () => {
    const definition = definitionOf("[Service]\nExecStart=/usr/bin/etcd --name x\n[Install]\nWantedBy=multi-user.target\n");
    expect(definition).toMatchObject({
      type: "simple",
      restart: "no",
      restartMs: 100,
      timeoutStopMs: 90_000,
      killSignal: "SIGTERM",
      killMode: "control-group",
      remainAfterExit: false,
      startLimit: undefined,
      install: { wantedBy: ["multi-user.target"], requiredBy: [], alias: [], also: [] },
    });
    expect(definition.execStart[0]).toMatchObject({ executable: "/usr/bin/etcd", argv: ["/usr/bin/etcd", "--name", "x"] });
  });

  it("reads the etcd charm's kind of unit, keeping what it does not apply", () => {
    const text = [
      "[Unit]",
      "Description=etcd",
      "StartLimitIntervalSec=0",
      "[Service]",
      "Type=notify",
      "User=etcd",
      "Group=etcd",
      "ExecStart=/usr/bin/etcd --config-file /r/etc/etcd/etcd.conf.yml",
      "Restart=always",
      "RestartSec=5",
      "TimeoutStopSec=60",
      "LimitNOFILE=65536",
      "ProtectSystem=full",
      "ReadWritePaths=/r/var/lib/etcd",
      "[Install]",
      "WantedBy=multi-user.target",
    ].join("\n");
    const file = parseUnitFile(text);
    const definition = definitionOf(text);
    expect(definition).toMatchObject({
      type: "notify",
      user: "etcd",
      group: "etcd",
      restart: "always",
      restartMs: 5000,
      timeoutStopMs: 60_000,
      limitNoFile: { soft: 65536, hard: 65536 },
      startLimit: { intervalMs: 0, burst: 5 },
    });
    expect(file.assignments.find((assignment) => assignment.key === "ProtectSystem")?.value).toBe("full");
  });

  it("accumulates repeated list settings and resets them on an empty assignment", () => {
    const definition = definitionOf(
      [
        "[Service]",
        "ExecStart=/bin/old",
        "ExecStart=",
        "ExecStart=/bin/new",
        "Environment=A=1 B=2",
        "Environment=",
        "Environment=C=3",
        "Environment=D=4",
        "User=first",
        "User=second",
      ].join("\n"),
    );
    expect(definition.execStart.map((entry) => entry.executable)).toEqual(["/bin/new"]);
    expect(definition.environment).toEqual([
      ["C", "3"],
      ["D", "4"],
    ]);
    expect(definition.user).toBe("second");
  });

  it("resets a single-valued setting to its default on an empty assignment", () => {
    expect(definitionOf("[Service]\nExecStart=/bin/true\nUser=etcd\nUser=\n").user).toBeUndefined();
  });

  it("splits quoted Environment= words", () => {
    const definition = definitionOf(`[Service]\nExecStart=/bin/true\nEnvironment="GREETING=hello world" 'QUOTE=it''s' PLAIN=x "EMPTY="\n`);
    expect(definition.environment).toEqual([
      ["GREETING", "hello world"],
      ["QUOTE", "its"],
      ["PLAIN", "x"],
      ["EMPTY", ""],
    ]);
  });

  it("reads EnvironmentFile= with the optional prefix, WorkingDirectory= and time spans", () => {
    const definition = definitionOf(
      "[Service]\nExecStart=/bin/true\nEnvironmentFile=-/etc/default/demo\nEnvironmentFile=/etc/demo.env\nWorkingDirectory=-/srv\nTimeoutSec=2min 30s\nRestartSec=250ms\nKillSignal=INT\n",
    );
    expect(definition.environmentFiles).toEqual([
      { path: "/etc/default/demo", optional: true },
      { path: "/etc/demo.env", optional: false },
    ]);
    expect(definition.workingDirectory).toEqual({ path: "/srv", optional: true });
    expect(definition).toMatchObject({ timeoutStartMs: 150_000, timeoutStopMs: 150_000, restartMs: 250, killSignal: "SIGINT" });
  });

  it("ignores an invalid value with a warning and keeps the default", () => {
    const result = serviceDefinition(parseUnitFile("[Service]\nExecStart=/bin/true\nRestart=sometimes\nRestartSec=soon\n", "d.service"), identity);
    expect(result.ok && result.definition).toMatchObject({ restart: "no", restartMs: 100 });
    expect(result.warnings.join("\n")).toMatch(/Restart=sometimes, ignoring: expected one of no, always/);
    expect(result.warnings.join("\n")).toMatch(/RestartSec=soon/);
  });

  it("refuses services systemd refuses: no ExecStart=, or several outside Type=oneshot", () => {
    const refused = (text: string) => {
      const result = serviceDefinition(parseUnitFile(text), identity);
      return result.ok ? "accepted" : result.error;
    };
    expect(refused("[Service]\nUser=etcd\n")).toMatch(/no ExecStart=/);
    expect(refused("[Service]\nExecStart=/bin/a\nExecStart=/bin/b\n")).toMatch(/more than one ExecStart=/);
    expect(refused("[Service]\nType=oneshot\nExecStart=/bin/a\nExecStart=/bin/b\n")).toBe("accepted");
    expect(refused("[Service]\nType=oneshot\nRestart=always\nExecStart=/bin/a\n")).toMatch(/isn't allowed for Type=oneshot/);
  });

  it("expands specifiers in commands", () => {
    const result = serviceDefinition(parseUnitFile("[Service]\nExecStart=/bin/echo %n %N %p %i %H 100%%\n"), { unitName: "worker@7.service", hostName: "m0" });
    expect(result.ok && result.definition.execStart[0]!.argv).toEqual(["/bin/echo", "worker@7.service", "worker@7", "worker", "7", "m0", "100%"]);
  });
});

describe("command lines", () => {
  it("follows systemd's quoting: quotes group words, escapes decode, quotes may join a word", () => {
    expect(command(`/bin/sh -c 'echo "a b"; exit 3' "two words" x"y z"w \\x41\\t\\101 ''`).argv).toEqual([
      "/bin/sh",
      "-c",
      'echo "a b"; exit 3',
      "two words",
      "xy zw",
      "A\tA",
      "",
    ]);
  });

  it("rejects unbalanced quotes, unknown escapes and relative paths", () => {
    expect(() => command(`/bin/echo "open`)).toThrow(/unbalanced quotes/);
    expect(() => command(`/bin/echo \\q`)).toThrow(/unknown escape/);
    expect(() => command(`bin/echo hi`)).toThrow(/neither a valid executable name nor an absolute path/);
  });

  it("recognises the -, @, :, + and ! prefixes", () => {
    expect(command("-/bin/false")).toMatchObject({ executable: "/bin/false", ignoreFailure: true, elevated: false, expandVariables: true });
    expect(command("@/bin/sh mysh -c true")).toMatchObject({ executable: "/bin/sh", argv: ["mysh", "-c", "true"] });
    expect(command("-:+/bin/true")).toMatchObject({ ignoreFailure: true, elevated: true, expandVariables: false });
    expect(command("!!/bin/true")).toMatchObject({ elevated: true });
    expect(() => command("+!/bin/true")).toThrow(/conflict/);
    expect(() => command("--/bin/true")).toThrow(/given twice/);
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: the test's name quotes systemd's ${NAME} syntax
  it("expands $NAME as whitespace-split words and ${NAME} as one exact argument", () => {
    const environment = { WORDS: "a  b\tc", EMPTY: "", NAME: "x y" };
    // biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's ${NAME} syntax, expanded by the code under test
    const argv = expandArguments(command("/bin/echo $WORDS ${WORDS} pre-${NAME}-post $MISSING ${MISSING} $$HOME ${EMPTY:-fallback} ${NAME:+set}"), environment);
    expect(argv).toEqual(["/bin/echo", "a", "b", "c", "a  b\tc", "pre-x y-post", "", "$HOME", "fallback", "set"]);
    expect(expandArguments(command(":/bin/echo $WORDS"), environment)).toEqual(["/bin/echo", "$WORDS"]);
  });
});

describe("environment files", () => {
  it("reads assignments with quotes, escapes, comments and continuations", () => {
    const text = [
      "# a comment",
      "; another",
      "PLAIN=value with spaces   ",
      "  SPACED = padded",
      `DOUBLE="a \\"quoted\\" \\$value"`,
      "SINGLE='literal \\n $x'",
      "JOINED=one\\",
      "two",
      "ESCAPED=a\\ b",
      "EMPTY=",
      "export BAD=1",
      "1BAD=2",
      "NOEQUALS",
      `MULTI="line one`,
      `line two"`,
    ].join("\n");
    const parsed = parseEnvironmentFile(text);
    expect(Object.fromEntries(parsed.variables)).toEqual({
      PLAIN: "value with spaces",
      SPACED: "padded",
      DOUBLE: 'a "quoted" $value',
      SINGLE: "literal \\n $x",
      JOINED: "onetwo",
      ESCAPED: "a b",
      EMPTY: "",
      MULTI: "line one\nline two",
    });
    expect(parsed.warnings).toHaveLength(3);
  });

  it("lets a later assignment win", () => {
    expect(parseEnvironmentFile("A=1\nA=2\n").variables).toEqual([
      ["A", "1"],
      ["A", "2"],
    ]);
  });
});

describe("time spans", () => {
  it("parses systemd spans to milliseconds, bare numbers as seconds", () => {
    expect(parseTimeSpan("5")).toBe(5000);
    expect(parseTimeSpan("100ms")).toBe(100);
    expect(parseTimeSpan("1min 30s")).toBe(90_000);
    expect(parseTimeSpan("1h30min")).toBe(5_400_000);
    expect(parseTimeSpan("1.5s")).toBe(1500);
    expect(parseTimeSpan("infinity")).toBeNull();
    expect(() => parseTimeSpan("5 parsecs")).toThrow(/unknown time unit/);
  });

  it("formats spans as systemctl show does", () => {
    expect(formatTimeSpan(90_000)).toBe("1min 30s");
    expect(formatTimeSpan(100)).toBe("100ms");
    expect(formatTimeSpan(null)).toBe("infinity");
  });
});
