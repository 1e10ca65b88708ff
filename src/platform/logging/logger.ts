import pino, { type Logger } from 'pino';

// Secrets and national IDs never reach a log line, whatever object they ride in on.
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-signature"]',
  'password',
  '*.password',
  'passwordHash',
  '*.passwordHash',
  'refreshToken',
  '*.refreshToken',
  'accessToken',
  '*.accessToken',
  'token',
  '*.token',
  '*.*.token',
  'newPassword',
  '*.newPassword',
  'currentPassword',
  '*.currentPassword',
  'resetToken',
  '*.resetToken',
  'secret',
  '*.secret',
  'secretKey',
  '*.secretKey',
  // The document store's S3 key (config.documents.s3), should a config object ever be logged.
  'secretAccessKey',
  '*.secretAccessKey',
  '*.*.secretAccessKey',
  'nationalId',
  '*.nationalId',
  '*.*.nationalId',
];

export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: 'amt', ...base },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

export type { Logger };
