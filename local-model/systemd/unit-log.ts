import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";

/**
 * One unit's journal: a plain file its processes' stdout and stderr are appended to, a line at a time, each
 * prefixed with the time and who wrote it (`2024-05-02T10:11:12.345Z etcd[1234]: …`), interleaved with the
 * service manager's own messages about the unit (`… systemd[1]: etcd.service: Main process exited, …`).
 */
export class UnitLog {
  private stream: WriteStream | undefined;

  constructor(readonly file: string) {}

  private write(identifier: string, line: string): void {
    if (!this.stream) {
      mkdirSync(path.dirname(this.file), { recursive: true });
      this.stream = createWriteStream(this.file, { flags: "a" });
      // A log that cannot be written (its directory removed, a full disk) must not take the daemon down.
      this.stream.on("error", () => undefined);
    }
    this.stream.write(`${new Date().toISOString()} ${identifier}: ${line}\n`);
  }

  /** A message from the service manager about the unit, as systemd logs it. */
  note(unitName: string, message: string): void {
    this.write("systemd[1]", `${unitName}: ${message}`);
  }

  /** Copies the stream into the log line by line; resolves when the stream ends. */
  follow(output: Readable, identifier: string): Promise<void> {
    output.setEncoding("utf8");
    let partial = "";
    return new Promise((resolve) => {
      output.on("data", (chunk: string) => {
        const lines = (partial + chunk).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) this.write(identifier, line.replace(/\r$/, ""));
      });
      const finish = () => {
        if (partial !== "") this.write(identifier, partial);
        partial = "";
        resolve();
      };
      output.once("end", finish);
      output.once("error", finish);
    });
  }

  /** Resolves once everything written so far is in the file. */
  flush(): Promise<void> {
    const stream = this.stream;
    if (!stream) return Promise.resolve();
    return new Promise((resolve) => stream.write("", () => resolve()));
  }

  async close(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    if (stream) await new Promise<void>((resolve) => stream.end(resolve));
  }
}

/** The last `count` lines of a log file (all lines when count is undefined); none when there is no file. */
export async function tailLines(file: string, count?: number): Promise<string[]> {
  const handle = await open(file, "r").catch(() => undefined);
  if (!handle) return [];
  try {
    // Read backwards in chunks until enough lines are in hand, so a long log is not read whole.
    const chunkSize = 64 * 1024;
    let position = (await handle.stat()).size;
    const chunks: Buffer[] = [];
    let newlines = 0;
    while (position > 0 && (count === undefined || newlines <= count)) {
      const length = Math.min(chunkSize, position);
      position -= length;
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, position);
      chunks.unshift(buffer);
      for (const byte of buffer) if (byte === 0x0a) newlines++;
    }
    const lines = Buffer.concat(chunks).toString("utf8").split("\n");
    if (lines.at(-1) === "") lines.pop();
    return count === undefined ? lines : lines.slice(lines.length - Math.max(0, count));
  } finally {
    await handle.close();
  }
}
