import type { Logger } from '../../lib/logger';
import { addDays, shanghaiDate } from '../../rules/dates';
import type { PaymentsService } from './payments.service';

/** The daily reconciliation and the retry of refunds, run in the server process. */
export interface PaymentSchedule {
  /** One round now (tests, operators). */
  tick(): Promise<void>;
  stop(): void;
}

/**
 * Every hour: refunds that never reached WeChat Pay are sent again, and once WeChat Pay has
 * the previous day's trade bill ready (from 10:00 Beijing time) each merchant's day is
 * reconciled. A day done is skipped and two servers cannot run the same day at once (the
 * reconciliation claims `<mchId>:<date>` by insert), so every node may run the schedule.
 */
export function startPaymentSchedule(
  service: PaymentsService,
  opts: { logger: Logger; intervalMs?: number; now?: () => Date },
): PaymentSchedule {
  const now = opts.now ?? (() => new Date());
  let running: Promise<void> | undefined;
  const tick = async () => {
    await service
      .retryRefunds()
      .catch((err: unknown) => opts.logger.warn({ err }, 'retrying refunds failed'));
    const at = now();
    const beijingHour = (at.getUTCHours() + 8) % 24;
    if (beijingHour < 10) return;
    const yesterday = addDays(shanghaiDate(at), -1);
    for (const mchId of await service.merchantIds()) {
      await service.reconcile(mchId, yesterday).catch((err: unknown) => {
        const code = (err as { code?: string }).code;
        if (code !== 'RECONCILIATION_RUNNING')
          opts.logger.warn(
            { err, mchId, date: yesterday },
            'reconciliation failed; retried next hour',
          );
      });
    }
  };
  const timer = setInterval(() => {
    running ??= tick().finally(() => {
      running = undefined;
    });
  }, opts.intervalMs ?? 3_600_000);
  timer.unref();
  return {
    tick: () => (running ??= tick().finally(() => (running = undefined))),
    stop: () => clearInterval(timer),
  };
}
