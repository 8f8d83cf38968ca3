/**
 * Retry budget (as in Finagle's RetryBudget): every request to the upstream earns
 * `budgetPercent / 100` of a retry and every retry spends a whole one, so retries can never
 * exceed that share of requests however many targets fail — an outage cannot multiply the
 * load on the origins. Savings are capped (MAX_SAVED) so a long quiet period cannot fund a
 * burst of retries later.
 */
const MAX_SAVED = 100;

export class RetryBudget {
  private balance = 0;
  private readonly earn: number;

  constructor(budgetPercent: number) {
    this.earn = budgetPercent / 100;
  }

  /** A request (first try) was sent. */
  deposit(): void {
    if (this.balance < MAX_SAVED) this.balance = Math.min(MAX_SAVED, this.balance + this.earn);
  }

  /** Takes one retry from the budget; false when there is none left. */
  withdraw(): boolean {
    if (this.balance < 1) return false;
    this.balance -= 1;
    return true;
  }
}
