import type { Command } from 'commander';
import { Op } from 'sequelize';
import { Employee, Role } from '../modules/access/models';
import { CompanyRegion } from '../modules/organisation/models';
import { StaffService } from '../modules/staff/staff.service';
import { loadConfig } from '../platform/config';
import { withTransaction } from '../platform/db/transaction';
import { HttpProblem } from '../platform/http/problem';
import { createLogger } from '../platform/logging/logger';
import { createRuntime, type Runtime } from '../runtime';
import { PasswordService } from '../modules/staff/passwords.service';

/** How long the token printed by the CLI works: a new employee may not set their password at once. */
const CLI_RESET_TTL_HOURS = 24;

const list = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

async function withRuntime<T>(work: (rt: Runtime) => Promise<T>): Promise<T> {
  const runtime = await createRuntime(loadConfig(), { logger: createLogger('silent'), role: 'cli' });
  try {
    return await work(runtime);
  } catch (err) {
    // A refusal of the service (409 e-mail taken, 422 unknown region...) reads as its detail.
    if (err instanceof HttpProblem) throw new Error(err.message, { cause: err });
    throw err;
  } finally {
    await runtime.close();
  }
}

/** "amina.otieno@x" -> Amina / Otieno, when no --name is given. */
function nameOf(opts: { name?: string; email?: string; phone?: string }): { firstName: string; lastName: string } {
  const words = (opts.name ?? opts.email?.split('@')[0]?.replace(/[._-]+/g, ' ') ?? 'New employee')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => (opts.name ? w : w.charAt(0).toUpperCase() + w.slice(1)));
  return { firstName: words[0] ?? 'New', lastName: words.slice(1).join(' ') || '-' };
}

function hours(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 168) throw new Error('--reset-ttl-hours: a whole number of hours, 1 to 168');
  return n;
}

/**
 * `amt staff:create` and `amt staff:reset-password`: an operator adds an employee, or lets one back
 * in, without SQL. Both print a one-time password reset token (never a password): the employee sets
 * their password with POST /api/v1/auth/password-reset. Audited with no user (the operator).
 */
export function staffCommands(program: Command): void {
  program
    .command('staff:create')
    .description('create an employee and print their id and a one-time password reset token')
    .option('--email <email>', 'e-mail (the login); --email or --phone is required')
    .option('--phone <phone>', 'E.164 phone, e.g. +254712345678')
    .requiredOption('--role <name>', 'role name, e.g. agent, supervisor, back_office, finance, collections, admin')
    .option('--regions <codes>', 'comma-separated region codes, e.g. KE-NAI,KE-CST', '')
    .option('--name <name>', 'full name (default: from the e-mail)')
    .option('--code <employeeCode>', 'employee code (default: random E-XXXXXXXX)')
    .option('--cash-limit <amount>', 'most cash the employee may carry, e.g. 50000.00 (default: the system default)')
    .option('--reset-ttl-hours <n>', `how long the reset token works (default ${CLI_RESET_TTL_HOURS})`, String(CLI_RESET_TTL_HOURS))
    .option('--json', 'print {"id":..,"employeeCode":"..","resetToken":"..","resetExpiresAt":".."} only')
    .action(
      async (opts: {
        email?: string;
        phone?: string;
        role: string;
        regions: string;
        name?: string;
        code?: string;
        cashLimit?: string;
        resetTtlHours: string;
        json?: boolean;
      }) => {
        if (!opts.email && !opts.phone) throw new Error('give --email or --phone (the employee logs in with it)');
        if (opts.email && !/^[^\s@]+@[^\s@]+$/.test(opts.email)) throw new Error('--email: not an e-mail address');
        if (opts.phone && !/^\+[1-9]\d{6,14}$/.test(opts.phone)) throw new Error('--phone: an E.164 number, e.g. +254712345678');
        if (opts.cashLimit && !/^\d{1,12}(\.\d{1,2})?$/.test(opts.cashLimit)) throw new Error('--cash-limit: a decimal amount, e.g. 50000.00');
        const ttlHours = hours(opts.resetTtlHours);
        const codes = list(opts.regions);
        const result = await withRuntime(async (rt) => {
          const role = await Role.findOne({ where: { name: opts.role } });
          if (!role) {
            const names = (await Role.findAll({ attributes: ['name'], order: [['name', 'ASC']] })).map((r) => r.name);
            throw new Error(`--role: no role ${opts.role} (roles: ${names.join(', ')})`);
          }
          const regions = codes.length ? await CompanyRegion.findAll({ where: { code: { [Op.in]: codes } } }) : [];
          const missing = codes.filter((c) => !regions.some((r) => r.code === c));
          if (missing.length) throw new Error(`--regions: no region ${missing.join(', ')}`);
          return new StaffService(rt.sequelize).create(
            null,
            {
              ...nameOf(opts),
              email: opts.email ?? null,
              phone: opts.phone ?? null,
              roleId: role.id,
              regionIds: regions.map((r) => r.id),
              cashLimit: opts.cashLimit ?? null,
              employeeCode: opts.code,
            },
            ttlHours * 60,
          );
        });
        const { employee, passwordReset } = result;
        if (opts.json === true) {
          const out = { id: employee.id, employeeCode: employee.employeeCode, resetToken: passwordReset.token, resetExpiresAt: passwordReset.expiresAt };
          process.stdout.write(`${JSON.stringify(out)}\n`);
          return;
        }
        process.stdout.write(
          [
            `employee ${employee.id} (${employee.employeeCode}) created: ${employee.firstName} ${employee.lastName}, role ${employee.role.name}, regions ${employee.regions.map((r) => r.code).join(', ') || 'none'}`,
            `one-time password reset token (shown once, not stored; valid until ${passwordReset.expiresAt}): ${passwordReset.token}`,
            'the employee sets a password with POST /api/v1/auth/password-reset {"token": "...", "newPassword": "..."}',
            '',
          ].join('\n'),
        );
      },
    );

  program
    .command('staff:reset-password')
    .description('print a one-time password reset token for an active employee (earlier tokens stop working)')
    .requiredOption('--email <email>', 'the employee’s e-mail')
    .option('--reset-ttl-hours <n>', `how long the token works (default ${CLI_RESET_TTL_HOURS})`, String(CLI_RESET_TTL_HOURS))
    .action(async (opts: { email: string; resetTtlHours: string }) => {
      const ttlHours = hours(opts.resetTtlHours);
      const issued = await withRuntime(async (rt) => {
        const employee = await Employee.findOne({ where: { email: opts.email.trim().toLowerCase() } });
        if (!employee) throw new Error(`no employee with e-mail ${opts.email}`);
        if (!employee.isActive) throw new Error(`employee ${employee.id} is deactivated; reactivate them first`);
        return withTransaction(rt.sequelize, (t) => new PasswordService(rt.sequelize).issueReset(t, null, employee.id, ttlHours * 60));
      });
      process.stdout.write(`one-time password reset token (shown once, valid until ${issued.expiresAt}): ${issued.token}\n`);
    });
}
