import type { CreationAttributes, Transaction } from 'sequelize';
import { DecryptionError, type DataCrypto } from '../../platform/crypto';
import { dialect } from '../../platform/db/dialect';
import { placeholders, sqlOf } from '../../platform/db/sql';
import { Device, DeviceModel, type DeviceToken, type DeviceTokenSource, type DeviceTokenType } from './models';
import { generateToken, MAX_EXTENDED_VALUE, MAX_STANDARD_VALUE, OpenPaygoInputError } from './openpaygo/token';

/** Bound into every device key ciphertext (AAD): a key copied into another column does not decrypt. */
export const DEVICE_KEY_CONTEXT = 'devices.openpaygoSecretKey';
export const DAY_MS = 86_400_000;

/** An instant as DATETIME keeps it (whole seconds), so what is computed equals what is read back. */
export function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}
/** A request that would need more tokens than this (absurd day counts) is refused. */
const MAX_PIECES = 20;

/** Encrypts a device's OpenPAYGO key (32 hex characters) for devices.openpaygoSecretKey. */
export function encryptDeviceKey(crypto: DataCrypto, keyHex: string): string {
  return crypto.encrypt(keyHex.toLowerCase(), DEVICE_KEY_CONTEXT);
}

export type DeviceTokenErrorCode = 'no-openpaygo-key' | 'key-unreadable' | 'invalid-token-request' | 'too-many-days';

/** A token could not be minted. Raised before anything is written; never carries key material. */
export class DeviceTokenError extends Error {
  override name = 'DeviceTokenError';
  constructor(
    readonly code: DeviceTokenErrorCode,
    message: string,
    /** The input at fault (OpenPAYGO's field name: value, count, ...). */
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface MintSpec {
  type: DeviceTokenType;
  /** Days for ADD_TIME / SET_TIME. */
  value?: number | null;
  source: DeviceTokenSource;
  accountId?: number | null;
  paymentId?: number | null;
  requestedBy?: number | null;
  reason?: string | null;
}

export interface MintedToken {
  id: number;
  deviceId: number;
  serialNumber: string;
  tokenType: DeviceTokenType;
  value: number;
  token: string;
  tokenCount: number;
}

export function tokenView(t: DeviceToken) {
  return {
    id: t.id,
    deviceId: t.deviceId,
    accountId: t.accountId,
    tokenType: t.tokenType,
    value: t.value,
    token: t.token,
    tokenCount: t.tokenCount,
    source: t.source,
    paymentId: t.paymentId,
    requestedBy: t.requestedBy,
    reason: t.reason,
    createdAt: t.createdAt.toISOString(),
  };
}

/** Digits in groups of three, as a customer reads and types them ("123 456 789"). */
export function spacedToken(token: string): string {
  return token.replace(/(\d{3})(?=\d)/g, '$1 ');
}

/** The row of a device, locked FOR UPDATE, key included. Lock the account first when both are needed. */
export async function lockDevice(deviceId: number, t: Transaction): Promise<Device | null> {
  return Device.scope('withSecret').findByPk(deviceId, { lock: t.LOCK.UPDATE, transaction: t });
}

/** What minting needs of a device's model. */
export interface TokenModel {
  tokenType: string;
  restrictedDigitSet: boolean;
}

/**
 * The device row locked FOR UPDATE (key included) and its model's token settings: one round trip
 * on MySQL, the model read running once the lock is held. Every payment on an account with a
 * device mints through this. Lock the account first.
 */
export async function lockDeviceForMinting(deviceId: number, t: Transaction): Promise<{ device: Device | null; model: TokenModel | null }> {
  const sequelize = Device.sequelize!;
  const sql = sqlOf(sequelize);
  const [devices, models] = (await sql.rowsOfEach(t, [
    { sql: `SELECT * FROM devices WHERE id = ?${dialect(sequelize).forUpdate}`, values: [deviceId] },
    { sql: 'SELECT m.tokenType, m.restrictedDigitSet FROM deviceModels m JOIN devices d ON d.deviceModelId = m.id WHERE d.id = ?', values: [deviceId] },
  ])) as [Record<string, unknown>[], { tokenType: string; restrictedDigitSet: unknown }[]];
  const row = devices[0];
  if (!row) return { device: null, model: null };
  const device = Device.build(sql.instants(Device, row) as unknown as CreationAttributes<Device>, { isNewRecord: false, raw: true });
  const m = models[0];
  return { device, model: m ? { tokenType: m.tokenType, restrictedDigitSet: Boolean(Number(m.restrictedDigitSet)) } : null };
}

/**
 * The tokens one request needs: a standard token carries at most 995 days (extended 999,999), so
 * more days become several ADD_TIME tokens; a SET_TIME beyond the limit sets the limit and adds
 * the rest. An extended SET_TIME of 998 / 999 would equal the DISABLE_PAYG / COUNTER_SYNC token,
 * so it is sent as 997 plus ADD_TIME.
 */
export function tokenPieces(type: DeviceTokenType, value: number | null | undefined, extended: boolean): { type: DeviceTokenType; value: number | null }[] {
  if (type === 'DISABLE_PAYG' || type === 'COUNTER_SYNC') return [{ type, value: null }];
  const days = value ?? 0;
  const max = extended ? MAX_EXTENDED_VALUE : MAX_STANDARD_VALUE;
  const pieces: { type: DeviceTokenType; value: number | null }[] = [];
  let rest = days;
  if (type === 'SET_TIME') {
    let first = Math.min(rest, max);
    if (extended && (first === 998 || first === 999)) first = 997;
    pieces.push({ type: 'SET_TIME', value: first });
    rest -= first;
    if (rest === 0) return pieces;
  }
  do {
    const piece = Math.min(rest, max);
    pieces.push({ type: 'ADD_TIME', value: piece });
    rest -= piece;
  } while (rest > 0 && pieces.length <= MAX_PIECES);
  return pieces;
}

/**
 * Mints OpenPAYGO tokens for a device the caller has locked (`lockDevice`, same transaction): each
 * from the stored count, the new count stored with it and on the device, so counts strictly
 * increase per device whoever mints. Writes deviceTokens, devices.tokenCount (and paygDisabledAt),
 * and a token_issued device event (without the token text or any key material).
 */
export async function mintTokens(crypto: DataCrypto, device: Device, spec: MintSpec, t: Transaction, knownModel?: TokenModel | null): Promise<MintedToken[]> {
  if (!device.openpaygoSecretKey) throw new DeviceTokenError('no-openpaygo-key', 'This device has no OpenPAYGO key; it takes no tokens.');
  const model =
    knownModel !== undefined
      ? knownModel
      : await DeviceModel.findByPk(device.deviceModelId, { attributes: ['id', 'tokenType', 'restrictedDigitSet'], transaction: t });
  const extended = model?.tokenType === 'extended';
  const restrictedDigitSet = model?.restrictedDigitSet === true;
  const pieces = tokenPieces(spec.type, spec.value, extended);
  if (pieces.length > MAX_PIECES) throw new DeviceTokenError('too-many-days', `${spec.value} days would need more than ${MAX_PIECES} tokens.`, 'value');

  let key: string;
  try {
    key = crypto.decrypt(device.openpaygoSecretKey, DEVICE_KEY_CONTEXT);
  } catch (err) {
    if (err instanceof DecryptionError)
      throw new DeviceTokenError('key-unreadable', 'The device key cannot be decrypted with the configured DATA_ENCRYPTION_KEY.');
    throw err;
  }
  // Generate every piece before writing anything: a refusal leaves the transaction untouched.
  let count = device.tokenCount;
  const generated: { type: DeviceTokenType; value: number; token: string; count: number }[] = [];
  for (const p of pieces) {
    try {
      const { token, newCount } = generateToken({
        key,
        startingCode: device.startingCode ?? undefined,
        count,
        type: p.type,
        value: p.value,
        extended,
        restrictedDigitSet,
      });
      generated.push({ type: p.type, value: p.value ?? 0, token, count: newCount });
      count = newCount;
    } catch (err) {
      if (err instanceof OpenPaygoInputError) throw new DeviceTokenError('invalid-token-request', err.message, err.field);
      throw err;
    }
  }

  // Plain statements (src/platform/db/sql.ts): each token's row is written for its id; the
  // device's count and the event are deferred to the transaction's next round trip.
  const sql = sqlOf(Device.sequelize!);
  const now = new Date();
  const minted: MintedToken[] = [];
  for (const g of generated) {
    const { insertId } = await sql.write(
      t,
      `INSERT INTO deviceTokens (deviceId, accountId, tokenType, value, token, tokenCount, paymentId, requestedBy, source, reason, createdAt, updatedAt) VALUES ${placeholders(1, 12)}`,
      [
        device.id,
        spec.accountId ?? null,
        g.type,
        g.value,
        g.token,
        g.count,
        spec.paymentId ?? null,
        spec.requestedBy ?? null,
        spec.source,
        spec.reason ?? null,
        now,
        now,
      ],
    );
    minted.push({
      id: insertId,
      deviceId: device.id,
      serialNumber: device.serialNumber,
      tokenType: g.type,
      value: g.value,
      token: g.token,
      tokenCount: g.count,
    });
  }
  const disabled = spec.type === 'DISABLE_PAYG';
  const timeToken = spec.type === 'ADD_TIME' || spec.type === 'SET_TIME';
  const changes: Partial<{ tokenCount: number; paygDisabledAt: Date | null }> = { tokenCount: count };
  if (disabled) changes.paygDisabledAt = now;
  else if (timeToken && device.paygDisabledAt) changes.paygDisabledAt = null; // a time token puts the device back in PAYG mode
  Object.assign(device, changes);
  await sql.defer(t, 'UPDATE devices SET tokenCount = ?, paygDisabledAt = ?, updatedAt = ? WHERE id = ?', [
    count,
    device.paygDisabledAt ?? null,
    now,
    device.id,
  ]);
  const payload = {
    tokenIds: minted.map((m) => m.id),
    tokenType: spec.type,
    value: spec.value ?? null,
    tokenCount: count,
    source: spec.source,
    paymentId: spec.paymentId ?? null,
  };
  await sql.defer(t, `INSERT INTO deviceEvents (deviceId, eventType, payload, occurredAt, createdBy, createdAt, updatedAt) VALUES ${placeholders(1, 7)}`, [
    device.id,
    'token_issued',
    JSON.stringify(payload),
    now,
    spec.requestedBy ?? null,
    now,
    now,
  ]);
  return minted;
}
