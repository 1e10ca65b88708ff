import type { Transaction } from 'sequelize';
import { DecryptionError, type DataCrypto } from '../../platform/crypto';
import { Device, DeviceEvent, DeviceModel, DeviceToken, type DeviceTokenSource, type DeviceTokenType } from './models';
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
export async function mintTokens(crypto: DataCrypto, device: Device, spec: MintSpec, t: Transaction): Promise<MintedToken[]> {
  if (!device.openpaygoSecretKey) throw new DeviceTokenError('no-openpaygo-key', 'This device has no OpenPAYGO key; it takes no tokens.');
  const model = await DeviceModel.findByPk(device.deviceModelId, { attributes: ['id', 'tokenType', 'restrictedDigitSet'], transaction: t });
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

  const minted: MintedToken[] = [];
  for (const g of generated) {
    const row = await DeviceToken.create(
      {
        deviceId: device.id,
        accountId: spec.accountId ?? null,
        tokenType: g.type,
        value: g.value,
        token: g.token,
        tokenCount: g.count,
        paymentId: spec.paymentId ?? null,
        requestedBy: spec.requestedBy ?? null,
        source: spec.source,
        reason: spec.reason ?? null,
      },
      { transaction: t },
    );
    minted.push({ id: row.id, deviceId: device.id, serialNumber: device.serialNumber, tokenType: g.type, value: g.value, token: g.token, tokenCount: g.count });
  }
  const disabled = spec.type === 'DISABLE_PAYG';
  const timeToken = spec.type === 'ADD_TIME' || spec.type === 'SET_TIME';
  const changes: Partial<{ tokenCount: number; paygDisabledAt: Date | null }> = { tokenCount: count };
  if (disabled) changes.paygDisabledAt = new Date();
  else if (timeToken && device.paygDisabledAt) changes.paygDisabledAt = null; // a time token puts the device back in PAYG mode
  await Device.update(changes, { where: { id: device.id }, transaction: t });
  Object.assign(device, changes);
  await DeviceEvent.create(
    {
      deviceId: device.id,
      eventType: 'token_issued',
      payload: {
        tokenIds: minted.map((m) => m.id),
        tokenType: spec.type,
        value: spec.value ?? null,
        tokenCount: count,
        source: spec.source,
        paymentId: spec.paymentId ?? null,
      },
      occurredAt: new Date(),
      createdBy: spec.requestedBy ?? null,
    },
    { transaction: t },
  );
  return minted;
}
