import { createPrivateKey } from 'node:crypto';
import Joi from 'joi';

/**
 * NetSuite (issue 13): `log` (demo: nothing leaves the process, every item is logged as synced)
 * or `rest` (REST web services). With `rest`, the account id and one authentication mode's
 * credentials are required: OAuth 2.0 client credentials (default: client id, certificate id and
 * the certificate's private key, PEM) or Token-Based Authentication (consumer key/secret, token
 * id/secret). A half-configured `rest` stops start-up naming the missing variable. The secrets
 * are kept here only, never logged.
 */
export type NetsuiteConfig =
  | { driver: 'log' }
  | {
      driver: 'rest';
      accountId: string;
      /** https://<account>.suitetalk.api.netsuite.com unless NETSUITE_BASE_URL overrides it (the local fake). */
      baseUrl: string;
      auth:
        | { mode: 'oauth2'; clientId: string; certificateId: string; privateKey: string; scope: string }
        | { mode: 'tba'; consumerKey: string; consumerSecret: string; tokenId: string; tokenSecret: string };
      /** Requests in flight at once across every process (a Redis semaphore). */
      concurrency: number;
      timeoutMs: number;
      /** Items one push handles at once. */
      batchSize: number;
    };

const whenRest = (auth: 'oauth2' | 'tba', schema: Joi.StringSchema) =>
  schema.when('NETSUITE_DRIVER', {
    is: 'rest',
    then: Joi.when('NETSUITE_AUTH', { is: auth, then: Joi.required(), otherwise: Joi.optional().allow('') }),
    otherwise: Joi.optional().allow(''),
  });

const secret = () => Joi.string().min(8).max(512);

export const netsuiteSchema = {
  NETSUITE_DRIVER: Joi.string().valid('log', 'rest').default('log'),
  NETSUITE_ACCOUNT_ID: Joi.string()
    .pattern(/^[0-9A-Za-z_]{1,40}$/)
    .message('must be a NetSuite account id such as 1234567 or 1234567_SB1')
    .when('NETSUITE_DRIVER', { is: 'rest', then: Joi.required(), otherwise: Joi.optional().allow('') }),
  NETSUITE_BASE_URL: Joi.string()
    .uri({ scheme: ['http', 'https'] })
    .allow(''),
  NETSUITE_AUTH: Joi.string().valid('oauth2', 'tba').default('oauth2'),
  NETSUITE_CLIENT_ID: whenRest('oauth2', Joi.string().max(200)),
  NETSUITE_CERTIFICATE_ID: whenRest('oauth2', Joi.string().max(200)),
  NETSUITE_PRIVATE_KEY: whenRest(
    'oauth2',
    Joi.string()
      .max(16_384)
      .custom((value: string) => {
        if (value) createPrivateKey(pem(value));
        return value;
      })
      .message('must be a PEM private key (RSA, PKCS#8 or PKCS#1; \\n may be written as two characters)'),
  ),
  NETSUITE_CONSUMER_KEY: whenRest('tba', Joi.string().max(200)),
  NETSUITE_CONSUMER_SECRET: whenRest('tba', secret()),
  NETSUITE_TOKEN_ID: whenRest('tba', Joi.string().max(200)),
  NETSUITE_TOKEN_SECRET: whenRest('tba', secret()),
  NETSUITE_CONCURRENCY: Joi.number().integer().min(1).max(100).default(5),
  NETSUITE_TIMEOUT_MS: Joi.number().integer().min(100).max(300_000).default(30_000),
  NETSUITE_BATCH_SIZE: Joi.number().integer().min(1).max(500).default(20),
};

/** A PEM held in one environment line may write its newlines as \n. */
function pem(value: string): string {
  return value.includes('\\n') ? value.replace(/\\n/g, '\n') : value;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the validated environment, as loadConfig reads it
export function netsuiteConfig(v: Record<string, any>): NetsuiteConfig {
  if (v.NETSUITE_DRIVER !== 'rest') return { driver: 'log' };
  const accountId = String(v.NETSUITE_ACCOUNT_ID);
  const host = `https://${accountId.toLowerCase().replace(/_/g, '-')}.suitetalk.api.netsuite.com`;
  return {
    driver: 'rest',
    accountId,
    baseUrl: String(v.NETSUITE_BASE_URL || host).replace(/\/+$/, ''),
    auth:
      v.NETSUITE_AUTH === 'tba'
        ? {
            mode: 'tba',
            consumerKey: v.NETSUITE_CONSUMER_KEY,
            consumerSecret: v.NETSUITE_CONSUMER_SECRET,
            tokenId: v.NETSUITE_TOKEN_ID,
            tokenSecret: v.NETSUITE_TOKEN_SECRET,
          }
        : {
            mode: 'oauth2',
            clientId: v.NETSUITE_CLIENT_ID,
            certificateId: v.NETSUITE_CERTIFICATE_ID,
            privateKey: pem(v.NETSUITE_PRIVATE_KEY),
            scope: 'rest_webservices',
          },
    concurrency: v.NETSUITE_CONCURRENCY,
    timeoutMs: v.NETSUITE_TIMEOUT_MS,
    batchSize: v.NETSUITE_BATCH_SIZE,
  };
}
