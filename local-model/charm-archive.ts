import { createWriteStream } from "node:fs";
import { chmod, mkdir } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import yauzl from "yauzl";

export interface ArchiveEntry {
  readonly name: string;
  /** Unix permission bits from the entry's external attributes (0 when the zip has none). */
  readonly mode: number;
  readonly size: number;
}

function open(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, strictFileNames: true }, (error, zip) => (error ? reject(error) : resolve(zip))),
  );
}

async function forEachEntry(file: string, visit: (zip: yauzl.ZipFile, entry: yauzl.Entry) => Promise<void>): Promise<void> {
  const zip = await open(file);
  await new Promise<void>((resolve, reject) => {
    zip.on("entry", (entry: yauzl.Entry) => {
      visit(zip, entry).then(() => zip.readEntry(), reject);
    });
    zip.on("end", resolve);
    zip.on("error", reject);
    zip.readEntry();
  });
}

/** The entries of a .charm (a zip), with their modes, in archive order. */
export async function listCharmArchive(file: string): Promise<ArchiveEntry[]> {
  const entries: ArchiveEntry[] = [];
  await forEachEntry(file, async (_zip, entry) => {
    entries.push({ name: entry.fileName, mode: (entry.externalFileAttributes >>> 16) & 0o7777, size: entry.uncompressedSize });
  });
  return entries;
}

/**
 * Extracts a .charm into dir keeping each entry's mode, as Juju does (contract §6.1); like Juju it also
 * makes hooks/<name> executable. Entry names that would escape dir are refused (yauzl validates them).
 */
export async function extractCharmArchive(file: string, dir: string): Promise<void> {
  await forEachEntry(file, async (zip, entry) => {
    const target = path.join(dir, entry.fileName);
    if (entry.fileName.endsWith("/")) {
      await mkdir(target, { recursive: true });
      return;
    }
    await mkdir(path.dirname(target), { recursive: true });
    const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
      zip.openReadStream(entry, (error, readable) => (error ? reject(error) : resolve(readable))),
    );
    await pipeline(stream, createWriteStream(target));
    let mode = (entry.externalFileAttributes >>> 16) & 0o777 || 0o644;
    if (/^hooks\/[^/]+$/.test(entry.fileName)) mode |= 0o755;
    await chmod(target, mode);
  });
}
