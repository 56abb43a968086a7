/** Per-member cooldown for /ask: one question every N seconds, so nobody can flood the bot. */

/**
 * Expired entries are swept only past this many members: a sweep walks the whole map, and below
 * this size the map stays under a megabyte, so sweeping on every call would only cost time.
 */
const SWEEP_ABOVE_MEMBERS = 10_000;

export class Cooldowns {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly seconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds the member still has to wait (0 when they may ask now). */
  remaining(userId: string): number {
    const until = this.until.get(userId) ?? 0;
    return Math.max(0, Math.ceil((until - this.now()) / 1000));
  }

  start(userId: string): void {
    if (this.seconds <= 0) return;
    const now = this.now();
    if (this.until.size > SWEEP_ABOVE_MEMBERS) {
      for (const [id, until] of this.until) if (until <= now) this.until.delete(id);
    }
    this.until.set(userId, now + this.seconds * 1000);
  }
}
