import type { ActionState } from "../../../local-model/tools/types.js";

/** The action a fake hook context runs: the test sets its name and parameters; results, failure and logs are recorded. */
export class FakeAction implements ActionState {
  readonly results: Array<Record<string, string>> = [];
  readonly logs: string[] = [];
  failure: string | undefined;

  constructor(
    readonly name: string,
    readonly params: Record<string, unknown>,
    readonly id = "7",
  ) {}

  setResults(values: Record<string, string>): void {
    this.results.push(values);
  }

  fail(message: string): void {
    this.failure = message;
  }

  log(message: string): void {
    this.logs.push(message);
  }
}
