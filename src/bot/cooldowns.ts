/** Per-member cooldown for /ask: one question every N seconds, so nobody can flood the bot. */
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
    if (this.until.size > 10_000) {
      for (const [id, until] of this.until) if (until <= now) this.until.delete(id);
    }
    this.until.set(userId, now + this.seconds * 1000);
  }
}
