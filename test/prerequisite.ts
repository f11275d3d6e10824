/**
 * A test whose prerequisite is missing on this machine (a Python package, DuckDB's binary, dockerd)
 * is skipped with the reason printed, so a laptop run still says what it did not cover. Under CI
 * (`CI` set, as .ci/run does) every prerequisite is provisioned, so a missing one fails the test:
 * a skip must never hide a capability there.
 */
export function missingPrerequisite(ctx: Mocha.Context, why: string): never {
  if (process.env['CI']) throw new Error(`${why} (CI provisions every prerequisite, so this fails instead of skipping)`);
  console.log(`      skipped: ${why}`);
  return ctx.skip();
}

/** missingPrerequisite when `missing` names what is missing; nothing when it is undefined. */
export function requirePrerequisite(ctx: Mocha.Context, missing: string | undefined): void {
  if (missing !== undefined) missingPrerequisite(ctx, missing);
}
