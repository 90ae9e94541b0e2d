/**
 * The arguments secret-add and secret-set share (core/secrets CreateSecretData, jujuc secret-add.go Init;
 * contract §3.19, interfaces §6.4): content as key=value, key#base64=value, key#file=path or a --file YAML
 * map, keys by Juju's regex, values base64-encoded for storage within Juju 3.6's size limit; `--expire`
 * as a time or a positive Go duration; `--rotate` a known policy. All checked in Init, so errors exit 2.
 */
import { goDurationMs } from "../../src/domain/go-duration.js";
import type { FlagSet } from "./flags.js";
import { UsageError } from "./flags.js";
import { goQuote } from "./go-text.js";
import { ToolIO } from "./io.js";
import { decodeStringMap } from "./settings-file.js";
import type { Databag, SecretFields } from "./types.js";

const KEY = /^([a-z](?:-?[a-z0-9]){2,})$/;
/** Juju 3.6: 1 MB of base64 per value and per secret (interfaces §6.4). */
export const MAX_SECRET_BYTES = 1_000_000;
const ROTATE_POLICIES = ["never", "hourly", "daily", "weekly", "monthly", "quarterly", "yearly"];
const BASE64_SUFFIX = "#base64";
const FILE_SUFFIX = "#file";

export interface SecretFieldFlags {
  readonly label: { readonly value: string };
  readonly description: { readonly value: string };
  readonly expire: { readonly value: string };
  readonly rotate: { readonly value: string };
  readonly file: { readonly value: string };
}

/** The options secret-add and secret-set share, in juju's wording. */
export function secretFieldFlags(flags: FlagSet): SecretFieldFlags {
  return {
    label: flags.string(["label"], "", "a label used to identify the secret in hooks"),
    description: flags.string(["description"], "", "the secret description"),
    expire: flags.string(["expire"], "", "either a duration or time when the secret should expire"),
    rotate: flags.string(["rotate"], "", "the secret rotation policy"),
    file: flags.string(["file"], "", "a YAML file containing secret key values"),
  };
}

/** `--expire`: RFC3339, `YYYY-MM-DDTHH:MM:SS` (UTC) or a positive Go duration from now; epoch ms. */
export function parseExpire(text: string, now: number): number {
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.test(text)) {
    const zoned = /(Z|[+-]\d{2}:\d{2})$/.test(text) ? text : `${text}Z`;
    const time = Date.parse(zoned);
    if (!Number.isNaN(time)) return time;
  }
  // Go parses a signed duration; the parser here takes the magnitude.
  const negative = text.startsWith("-");
  const magnitude = goDurationMs(negative || text.startsWith("+") ? text.slice(1) : text);
  const duration = magnitude === undefined ? undefined : negative ? -magnitude : magnitude;
  if (duration === undefined) throw new UsageError(`expire time or duration ${goQuote(text)} not valid`);
  if (duration <= 0) throw new UsageError(`negative expire duration ${goQuote(text)} not valid`);
  return now + duration;
}

/** key=value arguments and the --file map, encoded as Juju stores them. */
export function parseSecretContent(args: readonly string[], file: string): Databag {
  const raw = new Map<string, string>();
  for (const arg of args) {
    // Base64 padding may end the value: it is not the separator.
    const stripped = arg.replace(/=+$/, "");
    const equals = stripped.indexOf("=");
    if (equals < 1) throw new UsageError(`key value ${goQuote(arg)} not valid`);
    let key = arg.slice(0, equals);
    let value = arg.slice(equals + 1);
    if (key.endsWith(FILE_SUFFIX)) {
      key = key.slice(0, -FILE_SUFFIX.length);
      try {
        value = new ToolIO(undefined).readFile(value);
      } catch (error) {
        throw new UsageError(`reading content for secret key ${goQuote(key)}: ${(error as Error).message}`);
      }
    }
    raw.set(key, value);
  }
  if (file !== "") for (const [key, value] of decodeStringMap(new ToolIO(undefined).readFile(file))) raw.set(key, value);
  return encodeContent(raw);
}

function encodeContent(raw: ReadonlyMap<string, string>): Databag {
  const content: Databag = {};
  let total = 0;
  for (const [rawKey, value] of raw) {
    const base64 = rawKey.endsWith(BASE64_SUFFIX);
    const key = base64 ? rawKey.slice(0, -BASE64_SUFFIX.length) : rawKey;
    if (!KEY.test(key)) throw new UsageError(`key ${goQuote(key)} not valid`);
    const encoded = base64 ? value : Buffer.from(value, "utf8").toString("base64");
    if (encoded.length > MAX_SECRET_BYTES) throw new UsageError(`base64 encoded secret content for key ${goQuote(key)} too large: ${encoded.length} bytes`);
    total += encoded.length;
    content[key] = encoded;
  }
  if (total > MAX_SECRET_BYTES) throw new UsageError(`base64 encoded secret content too large: ${total} bytes`);
  return content;
}

/** The fields the options and content arguments set; absent ones stay as they are. */
export function secretFields(flags: SecretFieldFlags, args: readonly string[], now: number, checkOwner?: () => void): SecretFields {
  // Checked in jujuc's order: expiry, rotation, (the owner, by secret-add), content.
  const expireAt = flags.expire.value === "" ? undefined : parseExpire(flags.expire.value, now);
  const rotate = flags.rotate.value;
  if (rotate !== "" && !ROTATE_POLICIES.includes(rotate)) throw new UsageError(`rotate policy ${goQuote(rotate)} not valid`);
  checkOwner?.();
  const hasContent = args.length > 0 || flags.file.value !== "";
  const content = hasContent ? parseSecretContent(args, flags.file.value) : undefined;
  return {
    ...(content !== undefined ? { content } : {}),
    ...(flags.label.value !== "" ? { label: flags.label.value } : {}),
    ...(flags.description.value !== "" ? { description: flags.description.value } : {}),
    ...(expireAt !== undefined ? { expireAt } : {}),
    ...(rotate !== "" ? { rotatePolicy: rotate } : {}),
  };
}
