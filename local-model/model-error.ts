/** An operator's request the model refuses, with Juju's wording where Juju has one. */
export class ModelError extends Error {
  override readonly name = "ModelError";
}
