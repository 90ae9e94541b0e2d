import { textTable } from "./text-table.js";
import { DEFAULT_BASE, formatBase, machineBase } from "./base.js";
import type { CharmSpec } from "./charm.js";
import { SIMULATED_JUJU_VERSION } from "./hook-environment.js";
import { applicationStatus, unitStatuses } from "./application-status.js";
import { type ModelState, machineIdOf } from "./state.js";
import { isPeer, localEndpoint, remoteAppOf } from "./topology.js";
import { storageJson } from "./storage-status.js";
import { unreachableUnits } from "./network/partitions.js";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A time as `juju status --format=json` prints `since`: "30 Nov 2026 16:25:18Z" (UTC). */
export function jujuTime(iso: string): string {
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return iso;
  const two = (n: number) => String(n).padStart(2, "0");
  const clock = `${two(time.getUTCHours())}:${two(time.getUTCMinutes())}:${two(time.getUTCSeconds())}`;
  return `${two(time.getUTCDate())} ${MONTHS[time.getUTCMonth()]} ${time.getUTCFullYear()} ${clock}Z`;
}

const withJujuTime = <T extends { since: string }>(status: T): T => ({ ...status, since: jujuTime(status.since) });

/** `juju status --format=json`, for what exists in this model. */
export function statusJson(state: ModelState, charms: Readonly<Record<string, CharmSpec>>): Record<string, unknown> {
  const machines: Record<string, unknown> = {};
  const applications: Record<string, unknown> = {};
  for (const app of Object.values(state.applications).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const units: Record<string, unknown> = {};
    for (const name of app.units) {
      const unit = state.units[name];
      if (!unit) continue;
      const { workload, agent } = unitStatuses(unit);
      const machine = machineIdOf(unit);
      machines[machine] = {
        "juju-status": { current: "started", since: jujuTime(unit.agent.since) },
        "dns-name": unit.address,
        "ip-addresses": [unit.address],
        "instance-id": `juju-${state.uuid.slice(-6)}-${machine}`,
        "machine-status": { current: "running", since: jujuTime(unit.agent.since) },
        base: { ...machineBase(state, unit) },
        // Juju shows a machine between upgrade-machine prepare and complete this way.
        ...(unit.seriesUpgrade
          ? {
              "upgrade-series-status": {
                target: formatBase(unit.seriesUpgrade.target),
                status:
                  unit.seriesUpgrade.hook === "pre-series-upgrade" ? "prepare running" : unit.seriesUpgrade.hook ? "complete running" : "prepare completed",
              },
            }
          : {}),
      };
      units[name] = {
        "workload-status": { ...workload, since: jujuTime(workload.since) },
        "juju-status": { ...agent, since: jujuTime(agent.since), version: SIMULATED_JUJU_VERSION },
        ...(app.leader === name ? { leader: true } : {}),
        machine,
        "public-address": unit.address,
        ...(unit.ports.length > 0
          ? {
              "open-ports": unit.ports.map((p) =>
                p.protocol === "icmp" ? "icmp" : p.from === p.to ? `${p.from}/${p.protocol}` : `${p.from}-${p.to}/${p.protocol}`,
              ),
            }
          : {}),
        ...(unit.life === "dying" ? { life: "dying" } : {}),
      };
    }
    const relations: Record<string, Array<Record<string, string>>> = {};
    for (const relation of Object.values(state.relations)) {
      const end = localEndpoint(relation, app.name);
      if (!end) continue;
      const related = relations[end.endpoint] ?? [];
      related.push({ "related-application": remoteAppOf(relation, app.name), interface: end.interface, scope: "global" });
      relations[end.endpoint] = related;
    }
    const versions = app.units.map((n) => state.units[n]?.workloadVersion).filter((v): v is string => Boolean(v));
    applications[app.name] = {
      charm: charms[app.name]?.name ?? app.charmName,
      "charm-origin": "local",
      "charm-name": app.charmName,
      "charm-rev": app.charmRevision,
      exposed: false,
      base: { ...(app.base ?? DEFAULT_BASE) },
      "application-status": withJujuTime(applicationStatus(state, app)),
      ...(Object.keys(relations).length > 0 ? { relations } : {}),
      units,
      ...(versions.length > 0 ? { version: versions[0] } : {}),
      ...(app.life === "dying" ? { life: "dying" } : {}),
    };
  }
  return {
    model: {
      name: state.name,
      type: "iaas",
      controller: "local-model",
      cloud: "localhost",
      region: "localhost",
      version: SIMULATED_JUJU_VERSION,
      "model-status": { current: "available", since: jujuTime(new Date().toISOString()) },
      sla: "unsupported",
    },
    machines,
    applications,
    // The CombinedStorage object of `juju storage`, as `status --storage` carries it (interfaces §7.5, unverified).
    storage: storageJson(state),
    // Not Juju's: the active partitions (fault injection), each partitioned unit and the units it cannot reach.
    ...((state.partitions ?? []).length > 0 ? { partitions: unreachableUnits(state) } : {}),
    controller: { timestamp: `${new Date().toISOString().slice(11, 19)}Z` },
  };
}

export function statusTable(state: ModelState): string {
  const now = `${new Date().toISOString().slice(11, 19)}Z`;
  const sections = [
    textTable([
      ["Model", "Controller", "Cloud/Region", "Version", "SLA", "Timestamp"],
      [state.name, "local-model", "localhost/localhost", SIMULATED_JUJU_VERSION, "unsupported", now],
    ]),
  ];
  const apps = Object.values(state.applications).sort((a, b) => (a.name < b.name ? -1 : 1));
  if (apps.length > 0) {
    const rows = [["App", "Version", "Status", "Scale", "Charm", "Channel", "Rev", "Exposed", "Message"]];
    for (const app of apps) {
      const status = applicationStatus(state, app);
      const version = app.units.map((n) => state.units[n]?.workloadVersion).find(Boolean) ?? "";
      rows.push([app.name, version, status.current, String(app.units.length), app.charmName, "", String(app.charmRevision), "no", status.message ?? ""]);
    }
    sections.push(textTable(rows));
    const unitRows = [["Unit", "Workload", "Agent", "Machine", "Public address", "Ports", "Message"]];
    for (const app of apps) {
      for (const name of app.units) {
        const unit = state.units[name];
        if (!unit) continue;
        const { workload, agent } = unitStatuses(unit);
        const ports = unit.ports.map((p) => (p.from === p.to ? `${p.from}/${p.protocol}` : `${p.from}-${p.to}/${p.protocol}`)).join(",");
        unitRows.push([
          `${name}${app.leader === name ? "*" : ""}`,
          workload.current,
          agent.current,
          machineIdOf(unit),
          unit.address,
          ports,
          workload.message ?? "",
        ]);
      }
    }
    sections.push(textTable(unitRows));
  }
  const relations = Object.values(state.relations).sort((a, b) => a.id - b.id);
  if (relations.length > 0) {
    const rows = [["Integration provider", "Requirer", "Interface", "Type", "Message"]];
    for (const relation of relations) {
      // A peer relation has one endpoint: it is both sides.
      const [a, b = a] = relation.endpoints;
      if (!a || !b) continue;
      const provider = a.role === "requirer" ? b : a;
      const requirer = provider === a ? b : a;
      rows.push([
        `${provider.app}:${provider.endpoint}`,
        `${requirer.app}:${requirer.endpoint}`,
        provider.interface,
        isPeer(relation) ? "peer" : "regular",
        relation.life === "dying" ? "dying" : "",
      ]);
    }
    sections.push(textTable(rows));
  }
  // Not Juju's: the active partitions (fault injection).
  const partitioned = Object.entries(unreachableUnits(state));
  if (partitioned.length > 0)
    sections.push(textTable([["Partitioned unit", "Cannot reach"], ...partitioned.map(([unit, others]) => [unit, others.join(",")])]));
  return `${sections.join("\n\n")}\n`;
}
