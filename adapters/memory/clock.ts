/** Time source of the memory backend; the testing kit swaps in a controllable one. */
export interface Clock {
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

/** A clock that only moves when told to (token expiry, serverTimestamp, updateTime in tests). */
export class ManualClock implements Clock {
  constructor(private current = Date.UTC(2030, 0, 1)) {}
  now(): number {
    return this.current
  }
  advance(ms: number): void {
    this.current += ms
  }
  set(time: number | Date): void {
    this.current = typeof time === 'number' ? time : time.getTime()
  }
}
