// The credit window of one connection (MS-SMB2 3.3.1.1, 3.3.5.2.3): a request may use only message
// ids the server granted, and each response grants what was asked, up to a cap on credits held.

/** Credits a client may hold at once (Windows grants up to 512 per connection by default). */
const CREDIT_CAP = 512;

export class CreditWindow {
  /** Message ids below this were granted (MS-SMB2 3.3.1.1 CommandSequenceWindow, kept as its upper edge). */
  private grantedLimit = 1n;
  private balance = 1;

  /** Charges a request's credits (at least 1); false, and nothing charged, when its message ids were not granted. */
  take(messageId: bigint, creditCharge: number): boolean {
    const charge = Math.max(1, creditCharge);
    if (messageId + BigInt(charge) > this.grantedLimit) return false;
    this.spend(charge);
    return true;
  }

  /** Charges credits without a window check (the SMB1 negotiate, which has no message id). */
  spend(charge: number): void {
    this.balance = Math.max(0, this.balance - charge);
  }

  /** Credits for this response: what was asked (at least 1), up to the cap of credits outstanding. */
  grant(requested: number): number {
    let grant = Math.min(Math.max(requested, 1), Math.max(0, CREDIT_CAP - this.balance));
    if (this.balance + grant === 0) grant = 1;
    this.balance += grant;
    this.grantedLimit += BigInt(grant);
    return grant;
  }
}
