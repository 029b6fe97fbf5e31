import { SimulatorLedgerError } from '../errors.js';

/** One asset balance of one account, in atoms (10^-8). */
export interface Balance {
  free: bigint;
  locked: bigint;
}

/** Receives every balance change (the ledger subscribes). */
export interface BalanceObserver {
  onBalanceChange(account: string, asset: string, freeDelta: bigint, lockedDelta: bigint, reason: string, ref: number): void;
}

/** The account that collects trading fees. Part of every conservation check. */
export const FEE_ACCOUNT = 'venue:fees';

/**
 * Balances of every account of one venue: free and locked per asset, as bigint atoms. Every change
 * is a transfer between accounts (or between free and locked), so the sum of all balances per asset
 * only changes through {@link Accounts.deposit}, which the ledger records as such.
 */
export class Accounts {
  private readonly map = new Map<string, Map<string, Balance>>();
  private observer: BalanceObserver | undefined;
  /** Net deposits per asset: sum of all balances must always equal this. */
  private readonly supply = new Map<string, bigint>();

  /** Sets the single observer (the venue ledger). */
  observe(o: BalanceObserver): void {
    this.observer = o;
  }

  /** The balance record of `account`/`asset`, created empty if missing. */
  balance(account: string, asset: string): Balance {
    let a = this.map.get(account);
    if (a === undefined) {
      a = new Map();
      this.map.set(account, a);
    }
    let b = a.get(asset);
    if (b === undefined) {
      b = { free: 0n, locked: 0n };
      a.set(asset, b);
    }
    return b;
  }

  /** Whether `account` exists. */
  has(account: string): boolean {
    return this.map.has(account);
  }

  /** Adds (or with a negative amount removes) free funds from outside the venue. */
  deposit(account: string, asset: string, amount: bigint, reason = 'deposit'): void {
    const b = this.balance(account, asset);
    if (b.free + amount < 0n) throw new SimulatorLedgerError(`withdrawal of ${amount} ${asset} from ${account} exceeds its free balance`);
    b.free += amount;
    this.supply.set(asset, (this.supply.get(asset) ?? 0n) + amount);
    this.observer?.onBalanceChange(account, asset, amount, 0n, reason, 0);
  }

  /**
   * Sets a balance restored from a durable venue's log (not an observed change: the log already
   * holds it) and counts it as supply, so conservation holds over restored and fresh accounts alike.
   */
  restore(account: string, asset: string, free: bigint, locked: bigint): void {
    const b = this.balance(account, asset);
    this.supply.set(asset, (this.supply.get(asset) ?? 0n) + free + locked - b.free - b.locked);
    b.free = free;
    b.locked = locked;
  }

  /** Moves `amount` from free to locked; false (nothing changed) when free is short. */
  lock(account: string, asset: string, amount: bigint, ref: number): boolean {
    const b = this.balance(account, asset);
    if (b.free < amount) return false;
    b.free -= amount;
    b.locked += amount;
    this.observer?.onBalanceChange(account, asset, -amount, amount, 'lock', ref);
    return true;
  }

  /** Moves `amount` from locked back to free. */
  unlock(account: string, asset: string, amount: bigint, ref: number): void {
    if (amount === 0n) return;
    const b = this.balance(account, asset);
    if (b.locked < amount) throw new SimulatorLedgerError(`unlock of ${amount} ${asset} for ${account} exceeds locked ${b.locked}`);
    b.locked -= amount;
    b.free += amount;
    this.observer?.onBalanceChange(account, asset, amount, -amount, 'unlock', ref);
  }

  /**
   * Transfers `amount` of `asset` from `from` (taken from locked when `fromLocked`, else free) to
   * the free balance of `to`. Throws on overdraft: callers check funds first, so this is a bug.
   */
  transfer(from: string, fromLocked: boolean, to: string, asset: string, amount: bigint, reason: string, ref: number): void {
    if (amount === 0n) return;
    const a = this.balance(from, asset);
    if (fromLocked) {
      if (a.locked < amount) throw new SimulatorLedgerError(`transfer of ${amount} ${asset} exceeds locked ${a.locked} of ${from}`);
      a.locked -= amount;
    } else {
      if (a.free < amount) throw new SimulatorLedgerError(`transfer of ${amount} ${asset} exceeds free ${a.free} of ${from}`);
      a.free -= amount;
    }
    const b = this.balance(to, asset);
    b.free += amount;
    this.observer?.onBalanceChange(from, asset, fromLocked ? 0n : -amount, fromLocked ? -amount : 0n, reason, ref);
    this.observer?.onBalanceChange(to, asset, amount, 0n, reason, ref);
  }

  /** All balances of one account (assets with a zero balance included). */
  of(account: string): ReadonlyMap<string, Balance> {
    return this.map.get(account) ?? new Map();
  }

  /** Every account id. */
  accounts(): string[] {
    return [...this.map.keys()];
  }

  /** Sum of free + locked over all accounts, per asset. */
  totals(): Map<string, bigint> {
    const t = new Map<string, bigint>();
    for (const a of this.map.values()) {
      for (const [asset, b] of a) t.set(asset, (t.get(asset) ?? 0n) + b.free + b.locked);
    }
    return t;
  }

  /** Net deposits per asset (what {@link totals} must equal). */
  deposits(): Map<string, bigint> {
    return new Map(this.supply);
  }

  /** Throws {@link SimulatorLedgerError} unless every asset's total equals its net deposits and nothing is negative. */
  checkConservation(): void {
    const totals = this.totals();
    for (const [asset, want] of this.supply) {
      const got = totals.get(asset) ?? 0n;
      if (got !== want) throw new SimulatorLedgerError(`asset ${asset} does not reconcile: balances ${got} != deposits ${want}`);
    }
    for (const [acct, a] of this.map) {
      for (const [asset, b] of a) {
        if (b.free < 0n || b.locked < 0n) throw new SimulatorLedgerError(`negative balance ${acct}/${asset}: free ${b.free} locked ${b.locked}`);
      }
    }
  }
}
