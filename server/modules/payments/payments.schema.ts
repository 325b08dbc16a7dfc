import { z } from 'zod';
import { isoDateSchema } from '../../rules/dates';

const id = z.string().regex(/^[\w.:-]{1,200}$/);

/** `:billId` */
export const billParams = z.strictObject({ billId: id });

/** POST /api/payments/bills/:billId/order */
export const orderBody = z.strictObject({
  tradeType: z.enum(['JSAPI', 'NATIVE']),
  /** The payer's openid under the merchant's AppID (JSAPI). */
  openId: z
    .string()
    .regex(/^[\w-]{6,128}$/)
    .optional(),
});

/** GET /api/payments/bills/:billId */
export const billPaymentsQuery = z.strictObject({
  /** `true`: ask WeChat Pay about open orders first (a payer back from paying). */
  sync: z.enum(['true', 'false']).optional(),
});

/** `:mchId` of the callback URL. */
export const notifyParams = z.strictObject({ mchId: z.string().regex(/^\d{6,20}$/) });

/** POST /api/payments/reconciliations */
export const reconcileBody = z.strictObject({
  date: isoDateSchema,
  mchId: z
    .string()
    .regex(/^\d{6,20}$/)
    .optional(),
});

/** GET /api/payments/discrepancies */
export const discrepanciesQuery = z.strictObject({
  open: z.enum(['true', 'false']).optional(),
});

/** `:id` of a discrepancy. */
export const discrepancyParams = z.strictObject({ id: z.string().min(1).max(300) });

/** POST /api/payments/discrepancies/:id/resolve */
export const resolveBody = z.strictObject({ resolution: z.string().trim().min(1).max(500) });

/** `:level/:placeId` of merchant settings. */
export const merchantParams = z.strictObject({
  level: z.enum(['school', 'county']),
  placeId: z.string().regex(/^[\w.-]{1,64}$/),
});

/** PUT /api/payments/merchants/:level/:placeId: secrets in, never out. */
export const merchantBody = z.strictObject({
  mchId: z.string().regex(/^\d{6,20}$/),
  appId: z.string().regex(/^w[\w]{5,40}$/),
  serialNo: z.string().regex(/^[0-9A-Fa-f]{8,64}$/),
  privateKeyPem: z.string().includes('PRIVATE KEY').max(8000),
  apiV3Key: z.string().min(1).max(64),
  publicKeyId: z
    .string()
    .regex(/^PUB_KEY_ID_\w{1,64}$/)
    .optional(),
  publicKeyPem: z.string().includes('PUBLIC KEY').max(4000).optional(),
});

// responses //////////

/** An order as its payer gets it. */
export const orderView = z.object({
  outTradeNo: z.string(),
  tradeType: z.enum(['JSAPI', 'NATIVE']),
  amountFen: z.number().int(),
  state: z.enum(['open', 'paid', 'closed']),
  codeUrl: z.string().optional(),
  payParams: z
    .object({
      appId: z.string(),
      timeStamp: z.string(),
      nonceStr: z.string(),
      package: z.string(),
      signType: z.literal('RSA'),
      paySign: z.string(),
    })
    .optional(),
});

/** A bill's orders and refunds. */
export const billPayments = z.object({
  orders: z.array(
    z.object({
      outTradeNo: z.string(),
      tradeType: z.enum(['JSAPI', 'NATIVE']),
      state: z.enum(['open', 'paid', 'closed']),
      amountFen: z.number().int(),
      paidAt: z.string().optional(),
    }),
  ),
  refunds: z.array(
    z.object({
      outRefundNo: z.string(),
      reason: z.enum(['withdrawal', 'duplicate-payment']),
      refundFen: z.number().int(),
      state: z.string(),
    }),
  ),
});

/** A discrepancy between the trade bill and our records. */
export const discrepancyView = z.object({
  id: z.string(),
  kind: z.string(),
  title: z.string(),
  mchId: z.string(),
  date: z.string(),
  schoolId: z.string().optional(),
  outTradeNo: z.string().optional(),
  outRefundNo: z.string().optional(),
  ourFen: z.number().int().optional(),
  billFen: z.number().int().optional(),
  at: z.string(),
  resolvedAt: z.string().optional(),
  /** The user id of who resolved it (through the API or by completing its inbox task). */
  resolvedBy: z.string().optional(),
  resolution: z.string().optional(),
  /**
   * Its `payment-discrepancy` process (the inbox task): `pending` until started, which the
   * next reconciliation run retries when a start failed.
   */
  process: z.enum(['started', 'pending']).optional(),
});

/** A reconciliation's result. */
export const reconciliationView = z.object({
  results: z.array(
    z.object({
      mchId: z.string(),
      date: z.string(),
      status: z.enum(['running', 'done', 'failed']),
      billRows: z.number().int(),
      discrepancies: z.array(
        z.object({
          kind: z.string(),
          outTradeNo: z.string().optional(),
          outRefundNo: z.string().optional(),
        }),
      ),
    }),
  ),
});

/** Merchant settings as shown: never a secret. */
export const merchantView = z.object({
  level: z.enum(['school', 'county']),
  placeId: z.string(),
  mchId: z.string(),
  appId: z.string(),
  serialNo: z.string(),
  publicKeyId: z.string().optional(),
  hasPrivateKey: z.boolean(),
  hasApiV3Key: z.boolean(),
  notifyUrl: z.string(),
  updatedAt: z.string(),
});

export type OrderBody = z.infer<typeof orderBody>;
export type MerchantBody = z.infer<typeof merchantBody>;
