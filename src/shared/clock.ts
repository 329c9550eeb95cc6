/** The clock is injected everywhere so that replay (`--now`) and tests control time. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still at `at` (replay `--now`), unless advanced by hand in tests. */
export class FixedClock implements Clock {
  private current: number;
  constructor(at: Date) {
    this.current = at.getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  set(at: Date): void {
    this.current = at.getTime();
  }
  advance(ms: number): void {
    this.current += ms;
  }
}
