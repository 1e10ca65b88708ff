import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import supertest from 'supertest';
import { hashPassword } from '../../src/platform/auth/password';
import { loadConfig } from '../../src/platform/config';
import { createApp, createRuntime, type Runtime } from '../../src/runtime';
import { Employee, EmployeeRegion, Role } from '../../src/modules/access/models';
import { CompanyRegion, Country } from '../../src/modules/organisation/models';
import { testEnv } from './env';

let runtime: Runtime | undefined;
let app: Express | undefined;

/** One runtime (Sequelize pool, Redis, queue) and one app for the whole run, on the test database. */
export async function testRuntime(): Promise<Runtime> {
  runtime ??= await createRuntime(loadConfig(testEnv()), { role: 'test' });
  return runtime;
}

export async function testApp(): Promise<Express> {
  app ??= createApp(await testRuntime());
  return app;
}

export async function api() {
  return supertest(await testApp());
}

export async function closeTestRuntime(): Promise<void> {
  await runtime?.close();
  runtime = undefined;
  app = undefined;
}

/** A client address of its own, so login throttling in one test never touches another. */
export function freshIp(): string {
  const n = () => Math.floor(Math.random() * 250) + 1;
  return `10.${n()}.${n()}.${n()}`;
}

/** A Kenyan mobile number no other test is likely to hold (customers' phones are unique). */
export const uniquePhone = (): string => `+2547${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

export interface TestEmployee {
  employee: Employee;
  email: string;
  password: string;
}

let passwordHash: Promise<string> | undefined;
export const TEST_PASSWORD = 'Test#Password1';

/** An active employee with the given seeded role (admin, agent, supervisor, back_office, finance, collections). */
export async function createEmployee(role: string, options: { regionIds?: number[]; isActive?: boolean } = {}): Promise<TestEmployee> {
  await testRuntime();
  const r = await Role.findOne({ where: { name: role } });
  if (!r) throw new Error(`no seeded role ${role}`);
  const tag = randomUUID().slice(0, 8);
  const email = `${role}.${tag}@test.amt`;
  const employee = await Employee.create({
    employeeCode: `T-${tag}`,
    firstName: 'Test',
    lastName: role,
    email,
    phone: `+2547${Math.floor(10_000_000 + Math.random() * 89_999_999)}`,
    passwordHash: await (passwordHash ??= hashPassword(TEST_PASSWORD)),
    roleId: r.id,
    isActive: options.isActive ?? true,
  });
  for (const regionId of options.regionIds ?? []) await EmployeeRegion.create({ employeeId: employee.id, regionId });
  return { employee, email, password: TEST_PASSWORD };
}

/** A fresh region in Kenya. */
export async function createRegion(): Promise<CompanyRegion> {
  await testRuntime();
  const ke = await Country.findOne({ where: { code: 'KE' } });
  const tag = randomUUID().slice(0, 8);
  return CompanyRegion.create({ name: `Region ${tag}`, code: `R-${tag}`, countryId: ke!.id });
}

/** Logs in through the API and returns the access token. */
export async function tokenFor(user: TestEmployee): Promise<string> {
  const res = await (await api()).post('/api/v1/auth/login').set('X-Forwarded-For', freshIp()).send({ email: user.email, password: user.password }).expect(200);
  return res.body.accessToken as string;
}

/** Shorthand: a new employee of `role` and a token for them. */
export async function loginAs(role: string, options: { regionIds?: number[] } = {}): Promise<{ user: TestEmployee; token: string }> {
  const user = await createEmployee(role, options);
  return { user, token: await tokenFor(user) };
}
