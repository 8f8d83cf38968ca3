/**
 * Peak-EWMA of response latency (the load metric of Finagle and Linkerd): a sample above the
 * average replaces it at once (a target that turns slow is noticed on the first slow
 * response), a sample below pulls it down exponentially with time constant DECAY_MS. The
 * average also decays toward zero while no sample arrives, so a target that was slow once is
 * tried again after a while instead of being starved forever.
 */
const DECAY_MS = 10_000;

export class PeakEwma {
  /** Milliseconds; 0 until the first sample. */
  private value = 0;
  private stamp = 0;

  observe(latencyMs: number, now: number): void {
    const w = Math.exp(-Math.max(now - this.stamp, 0) / DECAY_MS);
    this.value = latencyMs > this.value ? latencyMs : this.value * w + latencyMs * (1 - w);
    this.stamp = now;
  }

  /** The average as of `now` (decayed for the time since the last sample). */
  at(now: number): number {
    if (this.value === 0) return 0;
    const dt = now - this.stamp;
    return dt <= 0 ? this.value : this.value * Math.exp(-dt / DECAY_MS);
  }
}
