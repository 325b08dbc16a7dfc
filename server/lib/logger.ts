import pino, { type DestinationStream, type Logger } from 'pino';

/** Keys whose values are personal data or secrets and never reach a log line unmasked. */
const SENSITIVE_KEYS = [
  'phone',
  'mobile',
  'idNumber',
  'idCard',
  'studentName',
  'guardianName',
  'name',
  'password',
  'secret',
  'token',
  'povertyRegistered',
  'disability',
];

/** Masks a value for logs: phones keep 3+4 digits, ID numbers keep 4+2, the rest is starred. */
export function maskValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  const s = String(value);
  if (/^1\d{10}$/.test(s)) return `${s.slice(0, 3)}****${s.slice(7)}`;
  if (/^\d{17}[\dXx]$/.test(s)) return `${s.slice(0, 4)}************${s.slice(16)}`;
  if (s.length <= 1) return '*';
  return `${s.slice(0, 1)}${'*'.repeat(Math.min(s.length - 1, 6))}`;
}

/** Masks phone and ID numbers found inside free text (URLs, messages). */
export function maskText(text: string): string {
  return text
    .replace(/(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)/g, '$1****$2')
    .replace(/(?<![\dXx])(\d{4})\d{12}(\d{1}[\dXx])(?![\dXx])/g, '$1************$2');
}

function redactPaths(): string[] {
  const paths: string[] = [
    'req.headers.cookie',
    'req.headers.authorization',
    'res.headers["set-cookie"]',
  ];
  for (const key of SENSITIVE_KEYS) {
    paths.push(key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`);
  }
  return paths;
}

/** Builds the product's pino logger: JSON lines, personal data masked. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: redactPaths(), censor: (value: unknown) => maskValue(value) },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
