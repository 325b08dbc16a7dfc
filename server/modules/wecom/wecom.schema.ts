import { z } from 'zod';

/** `:level/:placeId` of a WeCom app. */
export const appParams = z.strictObject({
  level: z.enum(['school', 'county']),
  placeId: z.string().regex(/^[\w.-]{1,64}$/),
});

/** PUT /api/wecom/apps/:level/:placeId: secrets in, never out. */
export const appBody = z.strictObject({
  /** 企业ID: `ww` or `wx` and 16 more letters or digits. */
  corpId: z.string().regex(/^w[wx][0-9a-zA-Z]{8,30}$/),
  agentId: z.number().int().min(1).max(99_999_999),
  secret: z.string().min(16).max(128),
  /** Staff messages as a text card (default) or a template card (text_notice). */
  cardStyle: z.enum(['textcard', 'template_card']).optional(),
  callbackToken: z
    .string()
    .regex(/^[A-Za-z0-9]{1,32}$/)
    .optional(),
  encodingAesKey: z.string().min(1).max(64).optional(),
});

/** A WeCom app as shown: never a secret. */
export const appView = z.object({
  level: z.enum(['school', 'county']),
  placeId: z.string(),
  corpId: z.string(),
  agentId: z.number().int(),
  cardStyle: z.enum(['textcard', 'template_card']),
  hasSecret: z.boolean(),
  hasCallback: z.boolean(),
  callbackUrl: z.string(),
  trustedDomain: z.string(),
  updatedAt: z.string(),
});

/** GET /api/wecom/apps/:level/:placeId/deliveries */
export const deliveriesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** Recorded deliveries, newest first (no personal data: ids and outcomes). */
export const deliveryList = z.array(
  z.object({
    id: z.string(),
    notificationId: z.string(),
    userId: z.string(),
    kind: z.enum(['member', 'parent']),
    outcome: z.string(),
    errcode: z.number().int().optional(),
    attempts: z.number().int(),
    queuedAt: z.string(),
    at: z.string(),
  }),
);

/** WeCom's callback query (URL verification has echostr too). */
export const callbackQuery = z.object({
  msg_signature: z.string().regex(/^[0-9a-fA-F]{40}$/),
  timestamp: z.string().regex(/^\d{1,12}$/),
  nonce: z.string().min(1).max(64),
  echostr: z.string().min(1).max(2048).optional(),
});

/** GET /api/auth/wecom/authorize */
export const authorizeQuery = z.strictObject({
  level: z.enum(['school', 'county']),
  placeId: z.string().regex(/^[\w.-]{1,64}$/),
  /** Staff sign in as members; parents through the school contact book. */
  as: z.enum(['staff', 'parent']).default('staff'),
  /** Where to land afterwards: a path of this site. */
  returnTo: z
    .string()
    .regex(/^\/(?!\/)[^\s\\]{0,200}$/)
    .default('/'),
});

/** GET /api/auth/wecom/callback (WeCom's redirect). */
export const oauthCallbackQuery = z.object({
  code: z.string().min(1).max(512).optional(),
  state: z.string().min(1).max(1024),
});

export type AppBody = z.infer<typeof appBody>;
