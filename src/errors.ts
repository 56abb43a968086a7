/**
 * A problem the user can fix (bad config, missing model, unreadable source), as opposed to a bug.
 * The message starts with the component and says what to do; it is shown as-is, without a stack.
 */
export class UserFacingError extends Error {
  readonly component: string;
  readonly hint: string | undefined;

  constructor(component: string, problem: string, hint?: string) {
    super(`${component}: ${problem}${hint ? ` — ${hint}` : ''}`);
    this.name = 'UserFacingError';
    this.component = component;
    this.hint = hint;
  }
}

export function isUserFacing(error: unknown): error is UserFacingError {
  return error instanceof UserFacingError;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
