import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { ApiClient } from '../modules/access/clients.models';
import { PERMISSION_CODES } from '../modules/access/permissions';
import { loadConfig } from '../platform/config';
import { allowList, newClientSecret, storedCredential, type ClientAuthMode } from '../platform/http/client-auth';
import { createLogger } from '../platform/logging/logger';
import { createRuntime } from '../runtime';

export interface NewApiClient {
  name: string;
  scopes: string[];
  /** Exact addresses or CIDR ranges; null or empty = any address. */
  allowedIps?: string[] | null;
  auth?: ClientAuthMode;
  /** Defaults to a random `amt_<16 hex>`. */
  clientId?: string;
}

/**
 * Creates an API client and returns its secret, which is not stored (only its hash, or for signing
 * clients its ciphertext) and cannot be shown again. Scopes must be permission codes.
 */
export async function createApiClient(input: NewApiClient, encryptionKey: string): Promise<{ client: ApiClient; secret: string }> {
  const ips = checkClientInput(input);
  const secret = newClientSecret();
  const client = await ApiClient.create({
    name: input.name,
    clientId: input.clientId ?? `amt_${randomBytes(8).toString('hex')}`,
    secretHash: storedCredential(secret, input.auth ?? 'signature', encryptionKey),
    allowedIps: ips.length ? ips : null,
    scopes: input.scopes,
    isActive: true,
  });
  return { client, secret };
}

/** Checks scopes and addresses (before anything is stored); returns the cleaned address list. */
function checkClientInput(input: Pick<NewApiClient, 'scopes' | 'allowedIps'>): string[] {
  const unknown = input.scopes.filter((s) => !PERMISSION_CODES.has(s));
  if (unknown.length) throw new Error(`--scopes: unknown permission code(s) ${unknown.join(', ')}`);
  if (input.scopes.length === 0) throw new Error('--scopes: give at least one scope, e.g. mobile-money:callback');
  const ips = input.allowedIps?.map((s) => s.trim()).filter(Boolean) ?? [];
  try {
    allowList(ips);
  } catch (err) {
    throw new Error(`--allowed-ips: ${(err as Error).message}`, { cause: err });
  }
  return ips;
}

const list = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

async function withDatabase<T>(work: (encryptionKey: string) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const runtime = await createRuntime(config, { logger: createLogger('silent'), role: 'cli' });
  try {
    return await work(config.dataEncryptionKey);
  } finally {
    await runtime.close();
  }
}

/**
 * `amt clients:create`, `clients:list`, `clients:deactivate`: machine callers (mobile-money
 * gateways). The secret is printed once, on creation; store it in the caller's vault.
 */
export function clientCommands(program: Command): void {
  program
    .command('clients:create')
    .description('create an API client (e.g. a mobile-money gateway) and print its secret once')
    .requiredOption('--name <name>', 'who the client is, e.g. "Safaricom Daraja (paybill 600100)"')
    .requiredOption('--scopes <codes>', 'comma-separated scopes, e.g. mobile-money:callback')
    .option('--allowed-ips <list>', 'comma-separated addresses or CIDR ranges the client may call from (default: anywhere)')
    .option('--auth <mode>', 'signature (HMAC-SHA256 of the body; default) or shared-secret (for providers that cannot sign)', 'signature')
    .option('--client-id <id>', 'the client id to use (default: random)')
    .option('--json', 'print {"clientId":"...","secret":"...","auth":"..."} only')
    .action(async (opts: { name: string; scopes: string; allowedIps?: string; auth: string; clientId?: string; json?: boolean }) => {
      if (opts.auth !== 'signature' && opts.auth !== 'shared-secret') throw new Error('--auth: expected signature or shared-secret');
      const auth = opts.auth;
      checkClientInput({ scopes: list(opts.scopes), allowedIps: list(opts.allowedIps) });
      const { client, secret } = await withDatabase((key) =>
        createApiClient({ name: opts.name, scopes: list(opts.scopes), allowedIps: list(opts.allowedIps), auth, clientId: opts.clientId }, key),
      );
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify({ clientId: client.clientId, secret, auth })}\n`);
        return;
      }
      process.stdout.write(
        [
          `API client ${client.clientId} created (${client.name}); scopes ${client.scopes?.join(', ')}; addresses ${client.allowedIps?.join(', ') ?? 'any'}`,
          `secret (shown once, not stored): ${secret}`,
          auth === 'signature'
            ? 'send X-Client-Id, X-Timestamp (Unix seconds) and X-Signature = hex HMAC-SHA256(secret, "<X-Timestamp>.<raw body>")'
            : 'send X-Client-Id and X-Client-Secret',
          '',
        ].join('\n'),
      );
    });

  program
    .command('clients:list')
    .description('list API clients (never their secrets)')
    .action(async () => {
      const rows = await withDatabase(() => ApiClient.findAll({ order: [['id', 'ASC']] }));
      for (const c of rows) {
        process.stdout.write(
          `${c.clientId}\t${c.isActive ? 'active' : 'inactive'}\t${c.name}\tscopes=${(c.scopes ?? []).join(',')}\tips=${(c.allowedIps ?? ['any']).join(',')}\tlastUsed=${c.lastUsedAt?.toISOString() ?? '-'}\n`,
        );
      }
    });

  program
    .command('clients:deactivate <clientId>')
    .description('refuse an API client from now on (takes effect within 30 seconds)')
    .action(async (clientId: string) => {
      const [n] = await withDatabase(() => ApiClient.update({ isActive: false }, { where: { clientId } }));
      if (n === 0) throw new Error(`no API client ${clientId}`);
      process.stdout.write(`API client ${clientId} deactivated\n`);
    });
}
