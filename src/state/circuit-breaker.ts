/**
 * A circuit breaker around Redis commands: after `failures` consecutive failures (errors or
 * timeouts) the circuit opens and every use falls back at once, without sending anything and
 * without waiting for a timeout per request. After `openTime` one trial command is let through
 * (half-open); its success closes the circuit, its failure opens it again.
 */

export type BreakerState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  private consecutive = 0;
  private openedAt = -1;
  private trialInFlight = false;
  /** Times the circuit opened (for metrics). */
  opened = 0;

  constructor(
    private readonly failures: number,
    private readonly openTime: number,
    private readonly onChange: (state: BreakerState) => void = () => {},
    private readonly clock: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    if (this.openedAt < 0) return 'closed';
    return this.clock() - this.openedAt >= this.openTime ? 'half-open' : 'open';
  }

  /** Whether a command may be sent now (in half-open: only the one trial). */
  allows(): boolean {
    if (this.openedAt < 0) return true;
    if (this.clock() - this.openedAt < this.openTime || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  success(): void {
    this.consecutive = 0;
    this.trialInFlight = false;
    if (this.openedAt >= 0) {
      this.openedAt = -1;
      this.onChange('closed');
    }
  }

  failure(): void {
    this.trialInFlight = false;
    this.consecutive++;
    if (this.openedAt >= 0) {
      // A failed trial: open for another openTime.
      this.openedAt = this.clock();
      return;
    }
    if (this.consecutive >= this.failures) {
      this.openedAt = this.clock();
      this.opened++;
      this.onChange('open');
    }
  }
}
