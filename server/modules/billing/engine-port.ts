import type { Engine } from '../../engine/engine';
import type { BillingEnginePort } from './billing.service';

/**
 * The billing slice's port onto the embedded engine: the run request is a message that starts
 * the city's `monthly-billing` template (one run bills every school, each in its own inner
 * instance), so it goes to the default tenant.
 */
export function billingEnginePort(engine: Engine): BillingEnginePort {
  return {
    async publishMessage(msg) {
      await engine.publishMessage(msg);
    },
  };
}
