import type { SeededRandom } from '../../common/random.js';
import type { Accounts } from './accounts.js';
import type { FairValue } from './fair-value.js';
import type { Instrument } from './instruments.js';
import { HOUSE_PREFIX } from './ledger.js';
import type { MatchingEngine } from './matching-engine.js';

/** Tuning of the background crowd. */
export interface ParticipantOptions {
  /** Price levels the market maker quotes per side. */
  levels: number;
  /** Half spread around fair value, in basis points. */
  halfSpreadBps: number;
  /** Distance between successive levels, in basis points. */
  levelStepBps: number;
  /** Notional per level, in quote units (USDT). */
  levelNotional: number;
  /** Probability per tick and symbol that the maker requotes. */
  requoteProbability: number;
  /** Probability per tick and symbol that a taker sends a market order. */
  takerProbability: number;
  /** Notional of a taker order, in quote units. */
  takerNotional: number;
}

/** Default crowd: 5 levels of ~$20k a side, 2 bps half spread, a market order every ~2 ticks. */
export const DEFAULT_PARTICIPANTS: Readonly<ParticipantOptions> = Object.freeze({
  levels: 5,
  halfSpreadBps: 2,
  levelStepBps: 3,
  levelNotional: 20_000,
  requoteProbability: 0.6,
  takerProbability: 0.5,
  takerNotional: 2_000,
});

/** Per-symbol liquidity state that crisis scripts change. */
export interface Liquidity {
  /** Multiplier on quoted size (0 = makers gone). */
  sizeFactor: number;
  /** Multiplier on the spread. */
  spreadFactor: number;
}

const MAKER = `${HOUSE_PREFIX}maker`;
const TAKER = `${HOUSE_PREFIX}taker`;

/**
 * Seeded background makers and takers of one venue. Each tick the maker requotes a ladder around
 * each symbol's fair value (cancel and repost, as real market makers do) and takers lift or hit it
 * with small market orders, so books have depth and trades print. The house accounts are funded
 * with effectively unlimited balances; they are part of the venue's conservation check.
 */
export class Participants {
  private readonly liquidity = new Map<string, Liquidity>();
  private clientSeq = 0;

  constructor(
    private readonly engine: MatchingEngine,
    accounts: Accounts,
    private readonly instruments: readonly Instrument[],
    private readonly fair: ReadonlyMap<string, FairValue>,
    private readonly rng: SeededRandom,
    private readonly opts: ParticipantOptions = DEFAULT_PARTICIPANTS,
  ) {
    for (const ins of instruments) {
      // A thousand times the quoted ladder: the house never runs dry even when the price trends.
      const quoteFund = BigInt(Math.round(opts.levelNotional * opts.levels * 1000)) * 10n ** 8n;
      const baseFund = (quoteFund * 10n ** 8n) / BigInt(Math.max(1, Math.round(ins.spec.initialPrice * 1e8))) + 1n;
      accounts.deposit(MAKER, ins.base, baseFund * 20n, 'house funding');
      accounts.deposit(TAKER, ins.base, baseFund * 20n, 'house funding');
      this.liquidity.set(ins.symbol, { sizeFactor: 1, spreadFactor: 1 });
    }
    const q = BigInt(Math.round(opts.levelNotional * opts.levels * 1000 * instruments.length)) * 10n ** 8n;
    accounts.deposit(MAKER, 'USDT', q * 20n, 'house funding');
    accounts.deposit(TAKER, 'USDT', q * 20n, 'house funding');
  }

  /** Liquidity state of `symbol` (crises mutate it). */
  liquidityOf(symbol: string): Liquidity {
    return this.liquidity.get(symbol)!;
  }

  /** One round of quoting and taking for every symbol. */
  tick(): void {
    for (const ins of this.instruments) {
      if (this.engine.isHalted(ins.symbol)) continue;
      const fv = this.fair.get(ins.symbol)!.price;
      const liq = this.liquidity.get(ins.symbol)!;
      if (this.rng.next() < this.opts.requoteProbability) this.requote(ins, fv, liq);
      if (this.rng.next() < this.opts.takerProbability) this.take(ins, fv);
    }
  }

  /** Pulls every resting house order of `symbol` (liquidity withdrawal, halts). */
  withdraw(symbol: string): void {
    this.engine.cancelAll(MAKER, symbol);
  }

  private requote(ins: Instrument, fv: number, liq: Liquidity): void {
    this.engine.cancelAll(MAKER, ins.symbol);
    if (liq.sizeFactor <= 0) return;
    const o = this.opts;
    for (let i = 0; i < o.levels; i++) {
      const off = ((o.halfSpreadBps * liq.spreadFactor + i * o.levelStepBps * liq.spreadFactor) / 1e4) * fv;
      const notional = o.levelNotional * liq.sizeFactor * (0.5 + this.rng.next());
      const lots = Math.max(ins.minQtyLots, Math.round(((notional / fv) * 1e8) / Number(ins.lotAtoms)));
      const bid = ins.ticksOf(fv - off);
      const ask = Math.max(ins.ticksOf(fv + off), bid + 1);
      if (bid > 0) this.post(ins, 'BUY', bid, lots);
      this.post(ins, 'SELL', ask, lots);
    }
  }

  private post(ins: Instrument, side: 'BUY' | 'SELL', priceTicks: number, lots: number): void {
    if (priceTicks < ins.minPriceTicks || priceTicks > ins.maxPriceTicks) return;
    this.engine.place({ account: MAKER, symbol: ins.symbol, side, type: 'LIMIT', timeInForce: 'GTC', priceTicks, lots: Math.min(lots, ins.maxQtyLots), quoteOrderQty: 0n, clientOrderId: `mm${++this.clientSeq}`, stp: 'NONE' });
  }

  private take(ins: Instrument, fv: number): void {
    const notional = this.opts.takerNotional * (0.2 + this.rng.next());
    const lots = Math.max(ins.minQtyLots, Math.round(((notional / fv) * 1e8) / Number(ins.lotAtoms)));
    const side = this.rng.next() < 0.5 ? 'BUY' : 'SELL';
    this.engine.place({ account: TAKER, symbol: ins.symbol, side, type: 'MARKET', timeInForce: 'GTC', priceTicks: 0, lots: Math.min(lots, ins.maxQtyLots), quoteOrderQty: 0n, clientOrderId: `tk${++this.clientSeq}`, stp: 'NONE' });
  }
}
