#!/usr/bin/env node
// The local-model command: runs the TypeScript CLI through tsx, so the repository needs no build step.
import { register } from "tsx/esm/api";

register();
await import("../cli.ts");
