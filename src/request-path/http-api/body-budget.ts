import { Inject, Injectable } from '@nestjs/common';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';

/** Bytes taken from the budget for one body; `release` gives them back (once, whatever calls it). */
export interface BodyReservation {
  release(): void;
}

/**
 * The bytes of request bodies being read at once, in all (BODY_BUDGET) and per client address
 * (BODY_BUDGET_PER_ADDRESS). A body takes its size before its first byte is read and gives it
 * back when read (or abandoned): many stalled bodies cannot buffer more than the budget, and one
 * address cannot take all of it.
 */
@Injectable()
export class BodyBudget {
  private readonly total: number;
  private readonly perAddress: number;
  private used = 0;
  private readonly usedBy = new Map<string, number>();

  constructor(@Inject(TRANSPORT_CONFIG) config: Pick<TransportConfig, 'bodyBudget' | 'bodyBudgetPerAddress'>) {
    this.total = config.bodyBudget;
    this.perAddress = config.bodyBudgetPerAddress;
  }

  /** Takes `bytes` for `address`, or null when either budget would be exceeded. */
  reserve(address: string, bytes: number): BodyReservation | null {
    const byAddress = this.usedBy.get(address) ?? 0;
    if (this.used + bytes > this.total || byAddress + bytes > this.perAddress) return null;
    this.used += bytes;
    this.usedBy.set(address, byAddress + bytes);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.used -= bytes;
        const left = (this.usedBy.get(address) ?? bytes) - bytes;
        if (left > 0) this.usedBy.set(address, left);
        else this.usedBy.delete(address);
      },
    };
  }

  /** Bytes taken now, in all (for tests and diagnostics). */
  get inUse(): number {
    return this.used;
  }
}
