import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** A file's sha256 (hex), read as a stream: snapshots are as large as the database. */
export async function fileSha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
