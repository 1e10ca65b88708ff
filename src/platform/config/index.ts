import cronParser from 'cron-parser';
import Joi from 'joi';
import type { S3StoreConfig } from '../storage/s3-blob-store';
import { netsuiteConfig, netsuiteSchema, type NetsuiteConfig } from './netsuite';

/** Everything the process reads from its environment, validated once at start. */
export interface AppConfig {
  env: 'development' | 'test' | 'production';
  port: number;
  databaseUrl?: string;
  sqlitePath?: string;
  redisUrl?: string;
  /** Demo mode: no DATABASE_URL, so SQLite is used and migrations/seeders run at start. */
  demo: boolean;
  logLevel: string;
  bodyLimit: string;
  trustProxy: boolean;
  shutdownTimeoutMs: number;
  /**
   * Idempotency keys: how long a request's claim on its key lasts (a retry may take over a claim
   * whose lease has run out; the first request can then no longer commit), and how long an
   * answered key is kept for replay before the purge job deletes it.
   */
  idempotency: { leaseSeconds: number; retentionHours: number };
  queuePrefix: string;
  jwt: { secret: string; issuer: string; audience: string; accessTtlSeconds: number };
  refreshTokenTtlDays: number;
  loginThrottle: { windowMinutes: number; maxFailuresPerAccount: number; maxFailuresPerIp: number };
  dataEncryptionKey: string;
  /**
   * The nightly close: cron in each country's timezone, partitions per close, partitions one
   * process works on at once (a worker, or a close run by hand), reminder lead days.
   */
  nightlyClose: { cron: string; partitions: number; concurrency: number; reminderDaysBeforeDue: number };
  /** Outgoing SMS: Africa's Talking, or 'log' (demo: marked sent and logged without the text). */
  sms: SmsConfig;
  /**
   * Uploaded files (KYC documents): a directory (data/documents by default) or, with
   * DOCUMENT_STORE=s3, an S3-compatible bucket (`s3` set); and the largest file taken.
   */
  documents: { dir: string; maxBytes: number; s3?: S3StoreConfig };
  /** How long /readyz waits for each dependency before calling it unavailable. */
  readinessTimeoutMs: number;
  /** How long a request waits for Redis (enqueue, failed-jobs list) before answering 503. */
  redisTimeoutMs: number;
  /** How often a worker checks that its repeatable jobs are still in Redis (and re-registers them). */
  scheduleCheckMs: number;
  /** GET /metrics: off unless a bearer token is set; each scrape-time collector's time limit. */
  metrics: { token?: string; collectorTimeoutMs: number };
  /** NetSuite sync (issue 13): see ./netsuite.ts. */
  netsuite: NetsuiteConfig;
  /** The outbox drain (src/modules/integrations/drain.ts): see SYNC_* in README. */
  sync: SyncConfig;
  /** The offline agents' change feed: changeLog rows older than this many days are pruned nightly (docs/offline-sync.md). */
  changeLog: { retentionDays: number };
  /** Salesforce (CRM): the REST client through jsforce, or 'log' (demo: nothing leaves the process). */
  salesforce: SalesforceConfig;
}

export interface SyncConfig {
  /** Outbox rows one drain round leases per target (several rows of one aggregate make one item). */
  batchSize: number;
  /** Pushes (batches of items) one worker process runs at once per target. */
  concurrency: number;
  /** Attempts before a row is dead (status failed). */
  maxAttempts: number;
  /** Backoff after a failed attempt: base * 2^(attempt-1), at most max, with jitter. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** How long a worker's lease on its rows lasts; a crashed worker's rows are taken over after it. */
  leaseSeconds: number;
  /** Done rows are purged after this many days. */
  retentionDays: number;
  /** How often each target's drain job is scheduled (it runs until the outbox is empty, then waits for the next tick). */
  pollIntervalSeconds: number;
}

export type { NetsuiteConfig } from './netsuite';

export type SalesforceConfig =
  | { driver: 'log'; inboundCron: string; inboundOverlapSeconds: number }
  | {
      driver: 'rest';
      /** https://login.salesforce.com (test.salesforce.com for sandboxes): the JWT's audience and the token endpoint's host. */
      loginUrl: string;
      /** The connected app's consumer key (the JWT's iss). */
      consumerKey: string;
      /** The integration user's username (the JWT's sub). */
      username: string;
      /** PEM RSA private key whose certificate is registered on the connected app. Never logged. */
      privateKey: string;
      /** REST API version, e.g. '62.0'. */
      apiVersion: string;
      /** Customers as Person Accounts (FirstName/LastName/PersonEmail...) instead of business Accounts (Name...). */
      personAccounts: boolean;
      /** Person Account record type id (when the org has several record types). */
      personAccountRecordTypeId?: string;
      /** Above this many records of one object in one push, a Bulk API 2.0 ingest job instead of sObject Collections. */
      bulkThreshold: number;
      /** Share of the daily API limit (0..1) past which the Salesforce queue pauses. */
      pauseShare: number;
      /** How long the queue stays paused after REQUEST_LIMIT_EXCEEDED before one call tries again. */
      limitPauseMs: number;
      /** Per-request timeout. */
      timeoutMs: number;
      inboundCron: string;
      /** The inbound pull re-reads this many seconds before its watermark (clock skew, commit lag). */
      inboundOverlapSeconds: number;
    };

export type SmsConfig = { provider: 'log' } | { provider: 'africastalking'; baseUrl: string; username: string; apiKey: string; senderId?: string };

// Fixed values for demo and development only; production must provide its own (see schema below).
const DEV_JWT_SECRET = 'amt-development-only-secret-change-me-0123456789';
const DEV_ENCRYPTION_KEY = '00'.repeat(32);

const isProd = Joi.ref('NODE_ENV');

/** Required with DOCUMENT_STORE=s3 (a half-configured bucket stops start-up naming the variable), ignored otherwise. */
const whenS3 = (schema: Joi.StringSchema) => schema.when('DOCUMENT_STORE', { is: 's3', then: Joi.required(), otherwise: Joi.optional().allow('') });

const schema = Joi.object({
  NODE_ENV: Joi.string().valid('development', 'test', 'production').default('development'),
  PORT: Joi.number().integer().min(0).max(65535).default(3000),
  DATABASE_URL: Joi.string()
    .uri({ scheme: ['mysql', 'mariadb'] })
    .when(isProd, { is: 'production', then: Joi.required() }),
  SQLITE_PATH: Joi.string(),
  // Read by config/database.cjs and src/platform/db/sequelize.ts; checked here so a typo stops the start.
  DB_POOL_MAX: Joi.number().integer().min(1).max(1000),
  DB_POOL_ACQUIRE_MS: Joi.number().integer().min(100).max(600_000),
  DB_POOL_IDLE_MS: Joi.number().integer().min(1000).max(3_600_000),
  DB_CONNECT_TIMEOUT_MS: Joi.number().integer().min(100).max(600_000),
  DB_QUERY_TIMEOUT_MS: Joi.number().integer().min(100).max(3_600_000),
  REDIS_URL: Joi.string()
    .uri({ scheme: ['redis', 'rediss'] })
    .when(isProd, { is: 'production', then: Joi.required() }),
  LOG_LEVEL: Joi.string().valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent').default('info'),
  BODY_LIMIT: Joi.string()
    .pattern(/^\d+(b|kb|mb)$/i)
    .default('1mb'),
  TRUST_PROXY: Joi.boolean().default(false),
  SHUTDOWN_TIMEOUT_MS: Joi.number().integer().min(0).default(10000),
  IDEMPOTENCY_LEASE_SECONDS: Joi.number().integer().min(1).max(3600).default(60),
  IDEMPOTENCY_RETENTION_HOURS: Joi.number()
    .integer()
    .min(1)
    .max(24 * 90)
    .default(24),
  QUEUE_PREFIX: Joi.string()
    .pattern(/^[a-z0-9:_-]+$/i)
    .default('amt'),
  JWT_SECRET: Joi.string()
    .min(32)
    .when(isProd, { is: 'production', then: Joi.required(), otherwise: Joi.optional().default(DEV_JWT_SECRET) }),
  JWT_ISSUER: Joi.string().default('amt'),
  JWT_AUDIENCE: Joi.string().default('amt-api'),
  ACCESS_TOKEN_TTL_SECONDS: Joi.number().integer().min(30).max(86400).default(900),
  REFRESH_TOKEN_TTL_DAYS: Joi.number().integer().min(1).max(365).default(30),
  LOGIN_WINDOW_MINUTES: Joi.number().integer().min(1).default(15),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: Joi.number().integer().min(1).default(5),
  LOGIN_MAX_FAILURES_PER_IP: Joi.number().integer().min(1).default(30),
  DATA_ENCRYPTION_KEY: Joi.string()
    .hex()
    .length(64)
    .when(isProd, { is: 'production', then: Joi.required(), otherwise: Joi.optional().default(DEV_ENCRYPTION_KEY) }),
  SMS_PROVIDER: Joi.string().valid('africastalking', 'log').default('log'),
  AT_BASE_URL: Joi.string()
    .uri({ scheme: ['http', 'https'] })
    .default('https://api.africastalking.com'),
  AT_USERNAME: Joi.string()
    .max(100)
    .when('SMS_PROVIDER', { is: 'africastalking', then: Joi.required(), otherwise: Joi.allow('') }),
  AT_API_KEY: Joi.string()
    .min(8)
    .max(200)
    .when('SMS_PROVIDER', { is: 'africastalking', then: Joi.required(), otherwise: Joi.allow('') }),
  AT_SENDER_ID: Joi.string().max(20).allow(''),
  DOCUMENTS_DIR: Joi.string().default('data/documents'),
  DOCUMENT_MAX_BYTES: Joi.number()
    .integer()
    .min(1024)
    .max(50 * 1024 * 1024)
    .default(5 * 1024 * 1024),
  DOCUMENT_STORE: Joi.string().valid('fs', 's3').default('fs'),
  S3_ENDPOINT: Joi.string()
    .uri({ scheme: ['http', 'https'] })
    .allow(''),
  S3_BUCKET: whenS3(
    Joi.string()
      .pattern(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/)
      .message('must be a bucket name: 3-63 lower-case letters, digits, dots and hyphens'),
  ),
  S3_REGION: whenS3(
    Joi.string()
      .pattern(/^[a-z0-9-]{2,32}$/)
      .message('must be a region name such as eu-west-1 (any name the S3-compatible server accepts, e.g. us-east-1)'),
  ),
  S3_ACCESS_KEY_ID: whenS3(Joi.string().min(3).max(128)),
  S3_SECRET_ACCESS_KEY: whenS3(Joi.string().min(8).max(256)),
  S3_FORCE_PATH_STYLE: Joi.boolean().default(false),
  S3_TIMEOUT_MS: Joi.number().integer().min(100).max(300_000).default(10_000),
  NIGHTLY_CLOSE_CRON: Joi.string()
    .default('30 0 * * *')
    .custom((value: string) => {
      cronParser.parseExpression(value);
      if (value.trim().split(/\s+/).length !== 5) throw new Error('five fields');
      return value;
    })
    .message('must be a five-field cron expression, e.g. "30 0 * * *"'),
  NIGHTLY_CLOSE_PARTITIONS: Joi.number().integer().min(1).max(64).default(4),
  NIGHTLY_CLOSE_CONCURRENCY: Joi.number().integer().min(1).max(16).default(2),
  NIGHTLY_REMINDER_DAYS: Joi.number().integer().min(1).max(60).default(3),
  READINESS_TIMEOUT_MS: Joi.number().integer().min(50).max(60_000).default(1500),
  REDIS_TIMEOUT_MS: Joi.number().integer().min(50).max(60_000).default(2000),
  SCHEDULE_CHECK_MS: Joi.number().integer().min(1000).max(3_600_000).default(60_000),
  METRICS_TOKEN: Joi.string()
    .min(16)
    .max(512)
    .pattern(/^[\x21-\x7e]+$/)
    .message('must be 16+ printable characters without spaces'),
  METRICS_COLLECTOR_TIMEOUT_MS: Joi.number().integer().min(50).max(30_000).default(1000),
  ...netsuiteSchema,
  SYNC_BATCH_SIZE: Joi.number().integer().min(1).max(10_000).default(500),
  SYNC_CONCURRENCY: Joi.number().integer().min(1).max(64).default(4),
  SYNC_MAX_ATTEMPTS: Joi.number().integer().min(1).max(100).default(10),
  SYNC_BACKOFF_BASE_MS: Joi.number().integer().min(1).max(3_600_000).default(5000),
  SYNC_BACKOFF_MAX_MS: Joi.number().integer().min(Joi.ref('SYNC_BACKOFF_BASE_MS')).max(86_400_000).default(3_600_000),
  SYNC_LEASE_SECONDS: Joi.number().integer().min(1).max(3600).default(120),
  SYNC_RETENTION_DAYS: Joi.number().integer().min(1).max(3650).default(14),
  SYNC_POLL_INTERVAL_SECONDS: Joi.number()
    .integer()
    .valid(1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)
    .default(5)
    .messages({ 'any.only': 'must divide a minute: 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60' }),
  CHANGE_LOG_RETENTION_DAYS: Joi.number().integer().min(1).max(3650).default(30),
  SALESFORCE_DRIVER: Joi.string().valid('log', 'rest').default('log'),
  SALESFORCE_LOGIN_URL: Joi.string()
    .uri({ scheme: ['http', 'https'] })
    .when('SALESFORCE_DRIVER', { is: 'rest', then: Joi.required() }),
  SALESFORCE_CONSUMER_KEY: Joi.string()
    .max(255)
    .when('SALESFORCE_DRIVER', { is: 'rest', then: Joi.required(), otherwise: Joi.allow('') }),
  SALESFORCE_USERNAME: Joi.string()
    .max(255)
    .when('SALESFORCE_DRIVER', { is: 'rest', then: Joi.required(), otherwise: Joi.allow('') }),
  SALESFORCE_PRIVATE_KEY: Joi.string()
    .pattern(/-----BEGIN (RSA |ENCRYPTED )?PRIVATE KEY-----/)
    .message('must be a PEM private key (-----BEGIN PRIVATE KEY-----; \\n escapes allowed)')
    .when('SALESFORCE_DRIVER', { is: 'rest', then: Joi.required(), otherwise: Joi.allow('') }),
  SALESFORCE_API_VERSION: Joi.string()
    .pattern(/^\d{2}\.0$/)
    .default('62.0'),
  SALESFORCE_PERSON_ACCOUNTS: Joi.boolean().default(false),
  SALESFORCE_PERSON_ACCOUNT_RECORD_TYPE_ID: Joi.string()
    .pattern(/^[a-zA-Z0-9]{15,18}$/)
    .allow(''),
  SALESFORCE_BULK_THRESHOLD: Joi.number().integer().min(1).max(1_000_000).default(2000),
  SALESFORCE_PAUSE_SHARE: Joi.number().greater(0).max(1).default(0.9),
  SALESFORCE_LIMIT_PAUSE_MS: Joi.number().integer().min(1000).max(86_400_000).default(900_000),
  SALESFORCE_TIMEOUT_MS: Joi.number().integer().min(100).max(600_000).default(30_000),
  SALESFORCE_INBOUND_CRON: Joi.string()
    .default('*/5 * * * *')
    .custom((value: string) => {
      cronParser.parseExpression(value);
      if (value.trim().split(/\s+/).length !== 5) throw new Error('five fields');
      return value;
    })
    .message('must be a five-field cron expression, e.g. "*/5 * * * *"'),
  SALESFORCE_INBOUND_OVERLAP_SECONDS: Joi.number().integer().min(0).max(86_400).default(120),
}).unknown(true);

export class ConfigError extends Error {
  constructor(
    readonly variables: string[],
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates the environment; throws ConfigError naming every wrong or missing variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const { value, error } = schema.validate(env, { abortEarly: false, convert: true });
  if (error) {
    const variables = [...new Set(error.details.map((d) => String(d.path[0])))];
    const lines = error.details.map((d) => `  ${String(d.path[0])}: ${d.message.replace(/^"[^"]*" /, '')}`);
    throw new ConfigError(variables, `Invalid configuration:\n${lines.join('\n')}`);
  }
  const v = value as Record<string, any>;
  return Object.freeze({
    env: v.NODE_ENV,
    port: v.PORT,
    databaseUrl: v.DATABASE_URL,
    sqlitePath: v.SQLITE_PATH,
    redisUrl: v.REDIS_URL,
    demo: !v.DATABASE_URL,
    logLevel: v.LOG_LEVEL,
    bodyLimit: v.BODY_LIMIT,
    trustProxy: v.TRUST_PROXY,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
    idempotency: { leaseSeconds: v.IDEMPOTENCY_LEASE_SECONDS, retentionHours: v.IDEMPOTENCY_RETENTION_HOURS },
    queuePrefix: v.QUEUE_PREFIX,
    jwt: {
      secret: v.JWT_SECRET,
      issuer: v.JWT_ISSUER,
      audience: v.JWT_AUDIENCE,
      accessTtlSeconds: v.ACCESS_TOKEN_TTL_SECONDS,
    },
    refreshTokenTtlDays: v.REFRESH_TOKEN_TTL_DAYS,
    loginThrottle: {
      windowMinutes: v.LOGIN_WINDOW_MINUTES,
      maxFailuresPerAccount: v.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      maxFailuresPerIp: v.LOGIN_MAX_FAILURES_PER_IP,
    },
    dataEncryptionKey: v.DATA_ENCRYPTION_KEY,
    nightlyClose: {
      cron: v.NIGHTLY_CLOSE_CRON,
      partitions: v.NIGHTLY_CLOSE_PARTITIONS,
      concurrency: v.NIGHTLY_CLOSE_CONCURRENCY,
      reminderDaysBeforeDue: v.NIGHTLY_REMINDER_DAYS,
    },
    sms:
      v.SMS_PROVIDER === 'africastalking'
        ? {
            provider: 'africastalking' as const,
            baseUrl: String(v.AT_BASE_URL).replace(/\/+$/, ''),
            username: v.AT_USERNAME,
            apiKey: v.AT_API_KEY,
            senderId: v.AT_SENDER_ID || undefined,
          }
        : { provider: 'log' as const },
    documents: { dir: v.DOCUMENTS_DIR, maxBytes: v.DOCUMENT_MAX_BYTES, s3: s3ConfigOf(v) },
    readinessTimeoutMs: v.READINESS_TIMEOUT_MS,
    redisTimeoutMs: v.REDIS_TIMEOUT_MS,
    scheduleCheckMs: v.SCHEDULE_CHECK_MS,
    metrics: { token: v.METRICS_TOKEN || undefined, collectorTimeoutMs: v.METRICS_COLLECTOR_TIMEOUT_MS },
    netsuite: netsuiteConfig(v),
    sync: {
      batchSize: v.SYNC_BATCH_SIZE,
      concurrency: v.SYNC_CONCURRENCY,
      maxAttempts: v.SYNC_MAX_ATTEMPTS,
      backoffBaseMs: v.SYNC_BACKOFF_BASE_MS,
      backoffMaxMs: v.SYNC_BACKOFF_MAX_MS,
      leaseSeconds: v.SYNC_LEASE_SECONDS,
      retentionDays: v.SYNC_RETENTION_DAYS,
      pollIntervalSeconds: v.SYNC_POLL_INTERVAL_SECONDS,
    },
    changeLog: { retentionDays: v.CHANGE_LOG_RETENTION_DAYS },
    salesforce: salesforceConfigOf(v),
  });
}

function s3ConfigOf(v: Record<string, any>): S3StoreConfig | undefined {
  if (v.DOCUMENT_STORE !== 's3') return undefined;
  return {
    endpoint: v.S3_ENDPOINT ? String(v.S3_ENDPOINT).replace(/\/+$/, '') : undefined,
    bucket: v.S3_BUCKET,
    region: v.S3_REGION,
    accessKeyId: v.S3_ACCESS_KEY_ID,
    secretAccessKey: v.S3_SECRET_ACCESS_KEY,
    forcePathStyle: v.S3_FORCE_PATH_STYLE,
    timeoutMs: v.S3_TIMEOUT_MS,
  };
}

function salesforceConfigOf(v: Record<string, any>): SalesforceConfig {
  const inbound = { inboundCron: v.SALESFORCE_INBOUND_CRON as string, inboundOverlapSeconds: v.SALESFORCE_INBOUND_OVERLAP_SECONDS as number };
  if (v.SALESFORCE_DRIVER !== 'rest') return { driver: 'log', ...inbound };
  return {
    driver: 'rest',
    loginUrl: String(v.SALESFORCE_LOGIN_URL).replace(/\/+$/, ''),
    consumerKey: v.SALESFORCE_CONSUMER_KEY,
    username: v.SALESFORCE_USERNAME,
    // A PEM in one environment line keeps its line breaks as \n.
    privateKey: String(v.SALESFORCE_PRIVATE_KEY).replace(/\\n/g, '\n'),
    apiVersion: v.SALESFORCE_API_VERSION,
    personAccounts: v.SALESFORCE_PERSON_ACCOUNTS,
    personAccountRecordTypeId: v.SALESFORCE_PERSON_ACCOUNT_RECORD_TYPE_ID || undefined,
    bulkThreshold: v.SALESFORCE_BULK_THRESHOLD,
    pauseShare: v.SALESFORCE_PAUSE_SHARE,
    limitPauseMs: v.SALESFORCE_LIMIT_PAUSE_MS,
    timeoutMs: v.SALESFORCE_TIMEOUT_MS,
    ...inbound,
  };
}
