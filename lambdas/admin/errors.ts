// The ways an admin command fails on purpose, each with the exit code the CLI ends with.

/** An operation the workspace refuses (unknown user, taken username, weak password, …): its message is the whole story. */
export class AdminError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

/** A command line that cannot be run as given; exit code 2, as is customary for usage errors. */
export class UsageError extends AdminError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}
