/**
 * A problem the user can fix (bad config, missing model, unreadable source), as opposed to a bug.
 * The message starts with the component and says what to do; it is shown as-is, without a stack.
 *
 * `code` is the stable name of the problem: "component" or "component.problem" (the first
 * argument). Code that reacts to a particular problem, and tests, match the code, never the
 * wording, so messages can be improved without breaking anything.
 */
export class UserFacingError extends Error {
  readonly code: string;

  constructor(code: string, problem: string, hint?: string) {
    const component = code.split('.')[0] ?? code;
    super(`${component}: ${problem}${hint ? ` — ${hint}` : ''}`);
    this.name = 'UserFacingError';
    this.code = code;
  }
}

export function isUserFacing(error: unknown): error is UserFacingError {
  return error instanceof UserFacingError;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
