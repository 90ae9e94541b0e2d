/**
 * What one tool invocation reads and writes: its stdout and stderr as the client will reproduce them, the
 * stdin the client forwarded (if any), and files named on the command line (`--file`, `-o`).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { ToolRunError } from "./types.js";

/** Go's texts for the errno values a file argument can plausibly hit. */
const GO_ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EISDIR: "is a directory",
  ENOTDIR: "not a directory",
};

function errnoCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? "";
}

function fileError(operation: "open" | "read", file: string, error: unknown): ToolRunError {
  return new ToolRunError(`${operation} ${file}: ${GO_ERRNO_TEXT[errnoCode(error)] ?? (error as Error).message}`);
}

export class ToolIO {
  stdout = "";
  stderr = "";

  constructor(private readonly stdin: string | undefined) {}

  /** The client's stdin; a tool reading it when the client sent none fails as jujuc does (contract §1.2). */
  readStdin(): string {
    if (this.stdin === undefined) throw new ToolRunError("hook tool requires stdin, none supplied");
    return this.stdin;
  }

  /** juju/cmd Context.AbsPath: `~/` is the home directory, relative paths are against the working directory. */
  absolutePath(file: string): string {
    const expanded = file === "~" || file.startsWith("~/") ? path.join(homedir(), file.slice(1)) : file;
    return path.resolve(expanded);
  }

  readFile(file: string): string {
    const absolute = this.absolutePath(file);
    try {
      return readFileSync(absolute, "utf8");
    } catch (error) {
      // os.ReadFile opens a directory fine and fails reading it.
      throw fileError(errnoCode(error) === "EISDIR" ? "read" : "open", absolute, error);
    }
  }

  /** Creates or truncates the file, as os.Create does, even when there is nothing to write. */
  writeFile(file: string, text: string): void {
    const absolute = this.absolutePath(file);
    try {
      writeFileSync(absolute, text);
    } catch (error) {
      throw fileError("open", absolute, error);
    }
  }
}
