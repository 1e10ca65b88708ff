/**
 * Runs the Salesforce fake (test/fakes/salesforce.ts) as a server of its own, for a demo or a
 * benchmark, and prints the variables that point an AMT instance at it:
 *
 *   npm run fakes:salesforce -- [--port 4610] [--latency-ms 0] [--daily-limit 1000000] [--page-size 2000]
 *
 * A fresh RSA key pair is made at each start: the public key is registered on the fake's
 * "connected app", the private key is printed as SALESFORCE_PRIVATE_KEY (one line, \n escaped).
 * The last line is JSON ({ baseUrl, env }) for programs that start it. `GET /__fake/stats` shows
 * what arrived (records per object, requests by kind, the highest concurrency seen). Stops on
 * SIGINT/SIGTERM.
 */
import { generateKeyPairSync } from 'node:crypto';
import { FakeSalesforce } from '../test/fakes/salesforce';

export interface RunningFake {
  fake: FakeSalesforce;
  baseUrl: string;
  env: Record<string, string>;
}

export async function startSalesforceFake(options: { port?: number; latencyMs?: number; dailyLimit?: number; pageSize?: number } = {}): Promise<RunningFake> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const consumerKey = '3MVG9.fake.consumer.key';
  const username = 'integration@amt.fake';
  const fake = new FakeSalesforce({
    consumerKey,
    username,
    publicKey,
    latencyMs: options.latencyMs,
    dailyLimit: options.dailyLimit,
    pageSize: options.pageSize,
  });
  const baseUrl = await fake.start(options.port ?? 0);
  return {
    fake,
    baseUrl,
    env: {
      SALESFORCE_DRIVER: 'rest',
      SALESFORCE_LOGIN_URL: baseUrl,
      SALESFORCE_CONSUMER_KEY: consumerKey,
      SALESFORCE_USERNAME: username,
      SALESFORCE_PRIVATE_KEY: privateKey.replace(/\n/g, '\\n'),
    },
  };
}

function arg(name: string, fallback: number): number {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a whole number`);
  return v;
}

if (require.main === module) {
  void (async () => {
    const running = await startSalesforceFake({
      port: arg('port', 4610),
      latencyMs: arg('latency-ms', 0),
      dailyLimit: arg('daily-limit', 1_000_000),
      pageSize: arg('page-size', 2000),
    });
    process.stdout.write(`Salesforce fake listening on ${running.baseUrl} (stats: ${running.baseUrl}/__fake/stats)\n`);
    process.stdout.write('Point AMT at it with:\n');
    for (const [k, v] of Object.entries(running.env)) process.stdout.write(`${k}="${v}"\n`);
    process.stdout.write(`${JSON.stringify({ baseUrl: running.baseUrl, env: running.env })}\n`);
    const stop = () => void running.fake.stop().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  })();
}
