import { writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFixture, SLEEPER, type ManagerFixture } from "./fixture.js";

/** What a service's processes run with: Environment=, EnvironmentFile=, User=, WorkingDirectory=, LimitNOFILE=, and a missing executable. */

let fixture: ManagerFixture;
beforeEach(async () => {
  fixture = await createFixture();
});
afterEach(async () => {
  await fixture.cleanup();
});

describe("process environment", () => {
  it("passes Environment= and EnvironmentFile= variables over a minimal base, and expands them in ExecStart=", async () => {
    const envFile = path.join(fixture.base, "demo.env");
    await writeFile(envFile, `# settings\nFROM_FILE="quoted value"\nOVERRIDDEN=from-file\nWORDS=alpha beta\n`);
    await fixture.writeUnit(
      "env.service",
      [
        "[Service]",
        "Type=oneshot",
        `Environment="GREETING=hello world" OVERRIDDEN=from-unit`,
        `EnvironmentFile=${envFile}`,
        "EnvironmentFile=-/nonexistent/optional.env",
        `ExecStart=/bin/sh -c 'echo "greeting=$GREETING file=$FROM_FILE over=$OVERRIDDEN path=$PATH lang=$LANG home=\${HOME:-unset}"; printf "[%%s]" "$@"; echo' sh $WORDS \${WORDS}`,
      ].join("\n"),
    );
    expect((await fixture.systemctl("start", "env")).code).toBe(0);
    const journal = await fixture.journal("env");
    expect(journal).toContain(
      "greeting=hello world file=quoted value over=from-file path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin lang=C.UTF-8 home=unset",
    );
    expect(journal).toContain("[alpha][beta][alpha beta]");
  });

  it("fails the start when a required EnvironmentFile= is missing", async () => {
    await fixture.writeUnit("env.service", `[Service]\nExecStart=${SLEEPER}\nEnvironmentFile=/nonexistent/required.env\n`);
    const result = await fixture.systemctl("start", "env");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/because of unavailable resources/);
    expect(await fixture.property("env", "Result")).toBe("resources");
  });

  it("runs as User= with that user's environment and in WorkingDirectory=", async () => {
    const hasEtcd = (await execa("id", ["-u", "etcd"], { reject: false })).exitCode === 0;
    const user = hasEtcd ? "etcd" : "nobody";
    const uid = (await execa("id", ["-u", user])).stdout.trim();
    const gid = (await execa("id", ["-g", user])).stdout.trim();
    await fixture.writeUnit(
      "whoami.service",
      `[Service]\nType=oneshot\nUser=${user}\nWorkingDirectory=/tmp\nExecStart=/bin/sh -c 'echo "uid=$(id -u) gid=$(id -g) user=$USER cwd=$(pwd)"'\nExecStartPost=+/bin/sh -c 'echo "post uid=$(id -u)"'\n`,
    );
    expect((await fixture.systemctl("start", "whoami")).code).toBe(0);
    const journal = await fixture.journal("whoami");
    expect(journal).toContain(`uid=${uid} gid=${gid} user=${user} cwd=/tmp`);
    // The "+" prefix runs a command with full privileges.
    expect(journal).toContain("post uid=0");
  });

  it("applies LimitNOFILE=", async () => {
    await fixture.writeUnit(
      "limits.service",
      "[Service]\nType=oneshot\nLimitNOFILE=4096:8192\nExecStart=/bin/sh -c 'echo soft=$(ulimit -Sn) hard=$(ulimit -Hn)'\n",
    );
    expect((await fixture.systemctl("start", "limits")).code).toBe(0);
    expect(await fixture.journal("limits")).toContain("soft=4096 hard=8192");
  });

  it("reports a missing executable as status 203/EXEC", async () => {
    await fixture.writeUnit("missing.service", "[Service]\nType=exec\nExecStart=/nonexistent/daemon\n");
    expect((await fixture.systemctl("start", "missing")).code).toBe(1);
    expect(await fixture.property("missing", "ExecMainStatus")).toBe("203");
    expect(await fixture.journal("missing")).toMatch(/Failed to locate executable \/nonexistent\/daemon/);
  });
});
