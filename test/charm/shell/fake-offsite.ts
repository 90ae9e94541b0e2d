import { copyFile } from "node:fs/promises";
import { type OffsiteCopies, offsiteProblem } from "../../../src/charm/offsite.js";
import { readS3Relation } from "../../../src/charm/s3-relation.js";
import type { SnapshotFacts } from "../../../src/etcd/snapshots.js";
import type { HookTools } from "../../../src/juju/client.js";
import type { Logger } from "../../../src/log.js";
import type { RemoteSnapshot } from "../../../src/s3/object-store.js";

/**
 * A bucket in memory behind the real reading of the s3-credentials relation (from the fake Juju's databags):
 * what the charm would upload, list and download, without an S3 server. `failure` makes every transfer fail.
 */
export class FakeBucket {
  readonly objects = new Map<string, { readonly description: RemoteSnapshot; readonly file: string }>();
  failure: string | undefined;

  offsite(tools: HookTools, appName: string, log: Logger): OffsiteCopies {
    const connection = async () => readS3Relation(tools, await tools.isLeader(), appName, log);
    const ready = async () => {
      const current = await connection();
      const problem = offsiteProblem(current);
      if (problem) throw new Error(problem);
      if (this.failure) throw new Error(this.failure);
      return current?.view.where ?? "";
    };
    return {
      connection,
      upload: async (snapshot: SnapshotFacts) => {
        const where = await ready();
        const { path: file, ...facts } = snapshot;
        this.objects.set(snapshot.name, { description: { ...facts, objectBytes: snapshot.sizeBytes + 32 }, file });
        return where;
      },
      list: async () => {
        await ready();
        return [...this.objects.values()].map((o) => o.description).sort((a, b) => a.name.localeCompare(b.name));
      },
      download: async (name: string, toFile: string) => {
        await ready();
        const object = this.objects.get(name);
        if (!object) throw new Error(`no snapshot ${name}`);
        await copyFile(object.file, toFile);
        return object.description;
      },
    };
  }
}
