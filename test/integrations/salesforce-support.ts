import { generateKeyPairSync } from 'node:crypto';
import type { SalesforceConfig } from '../../src/platform/config';
import { FakeSalesforce, type FakeSalesforceOptions } from '../fakes/salesforce';

export type RestConfig = Extract<SalesforceConfig, { driver: 'rest' }>;

/** One RSA key pair per run: the connected app's certificate key (public) and AMT's signing key (private). */
let keys: { publicKey: string; privateKey: string } | undefined;
export function keyPair(): { publicKey: string; privateKey: string } {
  keys ??= generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return keys;
}

export const CONSUMER_KEY = '3MVG9test.consumer.key';
export const SF_USER = 'integration@amt.example';

export async function startFake(options: Partial<FakeSalesforceOptions> = {}): Promise<FakeSalesforce> {
  const fake = new FakeSalesforce({ consumerKey: CONSUMER_KEY, username: SF_USER, publicKey: keyPair().publicKey, ...options });
  await fake.start();
  return fake;
}

export function restConfig(fake: FakeSalesforce, extra: Partial<RestConfig> = {}): RestConfig {
  return {
    driver: 'rest',
    loginUrl: fake.baseUrl,
    consumerKey: CONSUMER_KEY,
    username: SF_USER,
    privateKey: keyPair().privateKey,
    apiVersion: '62.0',
    personAccounts: false,
    bulkThreshold: 2000,
    pauseShare: 0.9,
    limitPauseMs: 60_000,
    timeoutMs: 5000,
    inboundCron: '*/5 * * * *',
    inboundOverlapSeconds: 120,
    ...extra,
  };
}
