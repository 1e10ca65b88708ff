import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { problems } from '../../platform/http/problem';

/** Shortest password accepted (NIST SP 800-63B asks for at least 8; staff hold money and customer data). */
export const PASSWORD_MIN_LENGTH = 10;
/** Longest accepted: argon2 takes any length, but a cap keeps a request from hashing megabytes. */
export const PASSWORD_MAX_LENGTH = 128;

/**
 * The 1,000 most common passwords of the "10 million passwords" list (SecLists,
 * Passwords/Common-Credentials/10-million-password-list-top-1000.txt, MIT licence), lower-cased.
 * Read once, when first needed.
 */
let common: ReadonlySet<string> | undefined;
function commonPasswords(): ReadonlySet<string> {
  common ??= new Set(
    readFileSync(join(__dirname, 'common-passwords.txt'), 'utf8')
      .split('\n')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  return common;
}

/**
 * Why a password is refused, or null when it is acceptable: too short or too long; one of the
 * common passwords, also with digits or symbols added at the end ("Sunshine2024!") or in another
 * case; one character repeated; or the employee's own e-mail name or phone number.
 */
export function passwordProblem(password: string, about: { email?: string | null; phone?: string | null } = {}): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  const lower = password.toLowerCase();
  const stem = lower.replace(/[\d\W_]+$/u, '');
  const list = commonPasswords();
  if (list.has(lower) || (stem.length > 0 && list.has(stem))) return 'is one of the most common passwords; choose another';
  if (new Set(lower).size === 1) return 'must not be one character repeated';
  const emailName = about.email?.split('@')[0]?.toLowerCase();
  if (emailName && emailName.length >= 4 && lower.includes(emailName)) return 'must not contain your e-mail name';
  const phoneDigits = about.phone?.replace(/\D/g, '');
  if (phoneDigits && phoneDigits.length >= 6 && password.replace(/\D/g, '').includes(phoneDigits.slice(-6))) return 'must not contain your phone number';
  return null;
}

/** A 422 naming the field when the password breaks the policy. The password itself is never echoed. */
export function assertPasswordAcceptable(field: string, password: string, about: { email?: string | null; phone?: string | null } = {}): void {
  const problem = passwordProblem(password, about);
  if (problem) throw problems.unprocessable(`${field} ${problem}.`, 'password-policy', { field });
}
