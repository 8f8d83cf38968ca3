/**
 * Resumes an upstream call once the client side drains, for exchanges that relay a target's
 * bytes with backpressure (forward.ts, websocket.ts). One listener at a time: after the target
 * is paused the rest of its current read is still parsed, and each chunk (or interim response)
 * of it that finds the client full would otherwise add another listener.
 */
export class DrainResume {
  private waiting = false;
  private readonly drained = (): void => {
    this.waiting = false;
    this.resume();
  };

  constructor(private readonly resume: () => void) {}

  /** Resume once `out` has drained (nothing more if a wait is already armed). */
  after(out: { onDrain(fn: () => void): void }): void {
    if (this.waiting) return;
    this.waiting = true;
    out.onDrain(this.drained);
  }
}
