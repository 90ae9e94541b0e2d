import { chmod, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

export interface FakeToolBehaviour {
  readonly stdout?: string;
  readonly stderr?: string;
  readonly exitCode?: number;
}

export interface RecordedCall {
  readonly tool: string;
  readonly args: string[];
  readonly stdin: string;
}

const FIELD = "\u001f";
const RECORD = "\u001e";

/**
 * Executable stand-ins for Juju's hook tools, written as POSIX sh, in a directory to put first on PATH.
 * Each records its argv and stdin and answers as configured: the process-level technique ops uses
 * (contract §7.3). Stateless on purpose: the local model is the stateful implementation.
 */
export class FakeHookTools {
  private constructor(readonly dir: string) {}

  static async create(): Promise<FakeHookTools> {
    const dir = await mkdtemp(path.join(tmpdir(), "fake-hook-tools-"));
    await mkdir(path.join(dir, ".answers"));
    await writeFile(path.join(dir, ".calls"), "");
    return new FakeHookTools(dir);
  }

  /** Defines (or redefines) a tool. With no behaviour it succeeds silently, like status-set. */
  async define(tool: string, behaviour: FakeToolBehaviour = {}): Promise<void> {
    const answers = path.join(this.dir, ".answers", tool);
    await writeFile(`${answers}.stdout`, behaviour.stdout ?? "");
    await writeFile(`${answers}.stderr`, behaviour.stderr ?? "");
    const script = [
      "#!/bin/sh",
      `d='${this.dir}'`,
      `{ printf '%s' '${tool}'; for a in "$@"; do printf '${FIELD}%s' "$a"; done; printf '${FIELD}'; cat; printf '${RECORD}'; } >> "$d/.calls"`,
      `cat "$d/.answers/${tool}.stdout"`,
      `cat "$d/.answers/${tool}.stderr" >&2`,
      `exit ${behaviour.exitCode ?? 0}`,
      "",
    ].join("\n");
    await writeFile(path.join(this.dir, tool), script);
    await chmod(path.join(this.dir, tool), 0o755);
  }

  async defineAll(tools: Readonly<Record<string, FakeToolBehaviour>>): Promise<void> {
    for (const [tool, behaviour] of Object.entries(tools)) await this.define(tool, behaviour);
  }

  /** Every call so far, in order. The last field of a record is what the tool read on stdin. */
  async calls(): Promise<RecordedCall[]> {
    const text = await readFile(path.join(this.dir, ".calls"), "utf8");
    return text
      .split(RECORD)
      .filter(Boolean)
      .map((record) => {
        const fields = record.split(FIELD);
        return { tool: fields[0] ?? "", args: fields.slice(1, -1), stdin: fields[fields.length - 1] ?? "" };
      });
  }

  /** An environment whose PATH finds these tools first. */
  env(extra: Record<string, string> = {}, pathTail = "/usr/bin:/bin"): Record<string, string> {
    return { PATH: `${this.dir}:${pathTail}`, ...extra };
  }
}
