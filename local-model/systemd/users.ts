import { readFile } from "node:fs/promises";
import { execa } from "execa";

/**
 * User= and Group= resolved to the IDs a service runs as, from /etc/passwd and /etc/group, then from
 * `getent` (NSS: LDAP, systemd-userdb, …) for names the files do not list. The host's databases count: the
 * simulated machines share the host's users (the etcd packages create `etcd` there).
 */
export interface Credentials {
  readonly uid: number;
  readonly gid: number;
  /** Set when the user has an account entry: systemd then sets $USER, $LOGNAME, $HOME and $SHELL. */
  readonly account?: { readonly name: string; readonly home: string; readonly shell: string };
}

export class CredentialsError extends Error {
  override readonly name = "CredentialsError";
}

/** Finds the colon-separated entry whose name (field 0) or numeric id (field 2) is `key`. */
async function databaseEntry(database: "passwd" | "group", key: string): Promise<string[] | undefined> {
  const matches = (line: string) => {
    const fields = line.split(":");
    return fields[0] === key || (/^\d+$/.test(key) && fields[2] === key) ? fields : undefined;
  };
  const text = await readFile(`/etc/${database}`, "utf8").catch(() => "");
  for (const line of text.split("\n")) {
    const fields = matches(line);
    if (fields) return fields;
  }
  const lookup = await execa("getent", [database, key], { reject: false });
  return lookup.exitCode === 0 ? matches(lookup.stdout.split("\n")[0] ?? "") : undefined;
}

/** Resolves the service's credentials; Group= defaults to the user's primary group, User= to root. */
export async function resolveCredentials(user: string | undefined, group: string | undefined): Promise<Credentials> {
  const name = user ?? "root";
  const passwd = await databaseEntry("passwd", name);
  if (!passwd && !/^\d+$/.test(name)) throw new CredentialsError(`Failed to determine user credentials: No such process (user ${name})`);
  const uid = passwd ? Number(passwd[2]) : Number(name);
  let gid = passwd ? Number(passwd[3]) : uid;
  if (group !== undefined) {
    const groupEntry = await databaseEntry("group", group);
    if (!groupEntry && !/^\d+$/.test(group)) throw new CredentialsError(`Failed to determine group credentials: No such process (group ${group})`);
    gid = groupEntry ? Number(groupEntry[2]) : Number(group);
  }
  return passwd ? { uid, gid, account: { name: passwd[0] ?? name, home: passwd[5] ?? "/", shell: passwd[6] ?? "/bin/sh" } } : { uid, gid };
}
