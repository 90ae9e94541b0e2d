import { readFileSync } from "node:fs";
import type { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { z } from "zod";
import type { Member } from "../domain/member.js";
import { type ClientTls, type EndpointHealth, EndpointStatus, EtcdctlError, type EtcdctlTimeouts, MemberList } from "./etcdctl.js";

/**
 * etcd's v3 JSON gateway (the grpc-gateway every member serves on its client URLs, `enable-grpc-gateway`,
 * on by default in 3.4 and 3.5): the questions a hook asks on every step (the member list, each member's
 * status, whether it is healthy), asked over HTTP(S) with this member's client certificate instead of one
 * etcdctl process per question. An etcdctl costs a hook about 60 ms of CPU and 100-200 ms on a slow machine;
 * a request on a kept-alive connection well under one. The answers are etcdctl's JSON (uint64 values as
 * decimal strings, zero values left out), read with the same schemas. Changes still go through etcdctl.
 */

/** Why the gateway did not answer, or its answer when it is an error; `reachable` when etcd itself answered. */
export class EtcdGatewayError extends EtcdctlError {
  constructor(
    readonly url: string,
    reason: string,
    readonly reachable: boolean,
  ) {
    // exitCode: etcdctl's convention, undefined for "nothing answered", 1 for an answer that is an error.
    super([url], reachable ? 1 : undefined, `Error: ${reason}`);
    this.message = `etcd at ${url}: ${reason}`;
  }
}

/**
 * node:http through process.getBuiltinModule, not an import: Node 24's ESM facade of node:http reads every
 * export, and its lazy WebSocket and fetch exports then load undici (measured: 7-9 ms of every hook's CPU).
 */
const http = () => process.getBuiltinModule("node:http");

/** grpc-gateway's body for an error status: gRPC's message (etcd's reason). */
const GatewayErrorBody = z.object({ error: z.string().optional(), message: z.string().optional() });

const RangeAnswer = z.object({ header: z.object({ revision: z.string().optional() }).optional() });

export interface GatewayRequest {
  readonly timeouts: EtcdctlTimeouts;
  readonly signal?: AbortSignal;
}

/** The gateway of every endpoint, with one client identity for https ones; connections are kept for the hook. */
export class EtcdGateway {
  /** Per identity (the files' bytes), so a certificate rewritten mid-hook is used from the next request on. */
  private readonly agents = new Map<string, HttpsAgent | HttpAgent>();

  constructor(private readonly tls: ClientTls | undefined) {}

  async memberList(url: string, request: GatewayRequest): Promise<Member[]> {
    return MemberList.parse(await this.post(url, "/v3/cluster/member/list", {}, request)).members;
  }

  async status(url: string, request: GatewayRequest): Promise<EndpointStatus> {
    return EndpointStatus.parse({ Endpoint: url, Status: await this.post(url, "/v3/maintenance/status", {}, request) });
  }

  /**
   * What `etcdctl endpoint health` asks: a linearizable read of the key "health" (its absence is fine), which
   * only a member in a cluster with a leader and quorum can answer. `took` in Go's duration format, as etcdctl's.
   */
  async health(url: string, request: GatewayRequest): Promise<EndpointHealth> {
    const started = performance.now();
    try {
      RangeAnswer.parse(await this.post(url, "/v3/kv/range", { key: Buffer.from("health").toString("base64") }, request));
      return { endpoint: url, health: true, took: `${(performance.now() - started).toFixed(3)}ms` };
    } catch (error) {
      return { endpoint: url, health: false, took: "", error: error instanceof Error ? error.message : String(error) };
    }
  }

  private agentFor(url: URL): { agent: HttpsAgent | HttpAgent; https: boolean } {
    const https = url.protocol === "https:";
    const material = https && this.tls ? [this.tls.caFile, this.tls.certFile, this.tls.keyFile].map((file) => readFileSync(file)) : [];
    const key = `${url.protocol}${material.map((bytes) => bytes.toString("base64")).join("|")}`;
    let agent = this.agents.get(key);
    if (!agent) {
      // Idle kept-alive sockets do not hold the hook's process open (Node unrefs them in the pool).
      agent = https
        ? new HttpsAgent({ keepAlive: true, ...(material.length === 3 ? { ca: material[0], cert: material[1], key: material[2] } : {}) })
        : new (http().Agent)({ keepAlive: true });
      this.agents.set(key, agent);
    }
    return { agent, https };
  }

  private post(url: string, path: string, body: object, { timeouts, signal }: GatewayRequest): Promise<unknown> {
    const target = new URL(path, url);
    const { agent, https } = this.agentFor(target);
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const fail = (reason: string, reachable: boolean) => reject(new EtcdGatewayError(url, reason, reachable));
      const request = (https ? httpsRequest : http().request)(target, {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
        signal: AbortSignal.any([AbortSignal.timeout(timeouts.dialTimeoutMs + timeouts.commandTimeoutMs), ...(signal ? [signal] : [])]),
      });
      // No connection within the dial timeout: etcdctl's "context deadline exceeded" for a member that is down.
      const dial = setTimeout(() => request.destroy(new Error("context deadline exceeded (dial)")), timeouts.dialTimeoutMs);
      request.on("socket", (socket) => {
        if (!socket.connecting) clearTimeout(dial);
        else socket.once(https ? "secureConnect" : "connect", () => clearTimeout(dial));
      });
      request.on("error", (error: NodeJS.ErrnoException) => {
        clearTimeout(dial);
        fail(error.name === "AbortError" || error.name === "TimeoutError" ? "context deadline exceeded" : error.message, false);
      });
      request.on("response", (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", (error) => fail(error.message, false));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            fail(`HTTP ${response.statusCode}: not JSON: ${text.slice(0, 200)}`, true);
            return;
          }
          if (response.statusCode === 200) {
            resolve(json);
            return;
          }
          const error = GatewayErrorBody.safeParse(json);
          fail((error.success ? (error.data.message ?? error.data.error) : undefined) ?? `HTTP ${response.statusCode}`, true);
        });
      });
      request.end(payload);
    });
  }
}
