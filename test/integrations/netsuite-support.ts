import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { NetsuiteConfig } from '../../src/platform/config';
import type { AppContext } from '../../src/platform/context';
import { createNetsuiteTarget, NetsuiteSubsidiary, type NetsuiteTargetOptions } from '../../src/modules/integrations/netsuite';
import { testRuntime } from '../support/app';
import { FakeNetsuite, type FakeNetsuiteOptions } from '../fakes/netsuite';

type Rest = Extract<NetsuiteConfig, { driver: 'rest' }>;

/** One RSA key pair for the whole run (generating one takes a while). */
let keys: { privateKey: string; publicKey: string } | undefined;
export function keyPair(): { privateKey: string; publicKey: string } {
  keys ??= generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return keys;
}

export const TBA = { consumerKey: 'ck-amt-test', consumerSecret: 'cs-amt-test-secret', tokenId: 'tid-amt-test', tokenSecret: 'ts-amt-test-secret' };

/** A started fake with the test's certificate and TBA credentials registered. */
export async function startFake(options: FakeNetsuiteOptions = {}): Promise<FakeNetsuite> {
  const fake = new FakeNetsuite(options);
  fake.registerCertificate('cert-amt-1', 'client-amt', keyPair().publicKey);
  fake.registerTba(TBA);
  await fake.start();
  return fake;
}

export function restConfig(fake: FakeNetsuite, overrides: Partial<Rest> & { mode?: 'oauth2' | 'tba' } = {}): Rest {
  const { mode = 'oauth2', ...rest } = overrides;
  return {
    driver: 'rest',
    accountId: fake.accountId,
    baseUrl: fake.baseUrl,
    auth:
      mode === 'tba'
        ? { mode: 'tba', ...TBA }
        : { mode: 'oauth2', clientId: 'client-amt', certificateId: 'cert-amt-1', privateKey: keyPair().privateKey, scope: 'rest_webservices' },
    concurrency: 3,
    timeoutMs: 2000,
    batchSize: 20,
    ...rest,
  };
}

/** The test runtime's context with NetSuite configured as given (a semaphore key of its own per call). */
export async function netsuiteContext(netsuite: NetsuiteConfig): Promise<AppContext> {
  const rt = await testRuntime();
  return {
    config: { ...rt.config, netsuite, queuePrefix: `amt-test-${randomUUID().slice(0, 8)}` },
    sequelize: rt.sequelize,
    logger: rt.logger,
    queue: rt.queue,
    redis: rt.redis,
  };
}

export async function target(netsuite: NetsuiteConfig, options: NetsuiteTargetOptions = {}) {
  return createNetsuiteTarget(await netsuiteContext(netsuite), options);
}

export async function mapSubsidiary(countryId: number, subsidiaryId = '3'): Promise<void> {
  await NetsuiteSubsidiary.create({ countryId, subsidiaryId });
}
