import type { Command } from 'commander';
import { OPENPAYGO_TOKEN_TYPES, OpenPaygoInputError, generateToken, type OpenPaygoField, type OpenPaygoTokenType } from '../modules/devices/openpaygo/token';

interface TokenOptions {
  key: string;
  startingCode?: string;
  count: string;
  type: string;
  value?: string;
  extended?: boolean;
  restrictedDigits?: boolean;
  json?: boolean;
}

const OPTION_OF: Record<OpenPaygoField, string> = {
  key: '--key',
  startingCode: '--starting-code',
  count: '--count',
  lastCount: '--count',
  type: '--type',
  value: '--value',
};

function wholeNumber(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) throw new Error(`${option}: expected a whole number, got "${text}"`);
  return Number(text.trim());
}

/**
 * `amt token`: mints one OpenPAYGO Token by hand (support cases, device bring-up, checking a code
 * a customer reads out). It does not read or store the device's count: the operator passes the
 * stored count and must record the printed new count, or the next token the system mints will not
 * be accepted by the device. The key is never printed.
 */
export function tokenCommands(program: Command): void {
  program
    .command('token')
    .description('generate an OpenPAYGO Token for a device (prints the token and the new count to store)')
    .requiredOption('--key <hex>', "the device's secret key, 32 hexadecimal characters")
    .option('--starting-code <n>', "the device's starting code, 0 to 999999999 (omit if the device has none: derived from the key)")
    .requiredOption('--count <n>', 'the count stored for the device before this token')
    .requiredOption('--type <type>', `token type: ${OPENPAYGO_TOKEN_TYPES.join(', ')}`)
    .option('--value <n>', 'days for ADD_TIME / SET_TIME (0-995, extended 0-999999); not for DISABLE_PAYG / COUNTER_SYNC')
    .option('--extended', '12-digit extended token (values up to 999999)')
    .option('--restricted-digits', 'write the token with digits 1 to 4 only')
    .option('--json', 'print {"token":"...","newCount":N} only')
    .action((opts: TokenOptions) => {
      const type = opts.type.trim().toUpperCase();
      if (!(OPENPAYGO_TOKEN_TYPES as readonly string[]).includes(type)) {
        throw new Error(`--type: expected one of ${OPENPAYGO_TOKEN_TYPES.join(', ')}, got "${opts.type}"`);
      }
      const startingCode = wholeNumber(opts.startingCode, '--starting-code');
      const count = wholeNumber(opts.count, '--count') as number;
      const value = wholeNumber(opts.value, '--value');
      let result;
      try {
        result = generateToken({
          key: opts.key.trim(),
          startingCode,
          count,
          type: type as OpenPaygoTokenType,
          value,
          extended: opts.extended === true,
          restrictedDigitSet: opts.restrictedDigits === true,
        });
      } catch (err) {
        if (err instanceof OpenPaygoInputError) throw new Error(`${OPTION_OF[err.field]}: ${err.message}`, { cause: err });
        throw err;
      }
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify({ token: result.token, newCount: result.newCount })}\n`);
      } else {
        const what = value === undefined ? type : `${type} ${value}`;
        process.stdout.write(`${what}: token ${result.token} (count ${count} -> ${result.newCount}; store count ${result.newCount} for this device)\n`);
      }
    });
}
