import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/platform/config';

const ROOT = path.resolve(__dirname, '../..');

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('runs in demo mode with nothing set: SQLite, no Redis, development defaults', () => {
    const config = loadConfig({});
    expect(config.demo).to.equal(true);
    expect(config.databaseUrl).to.equal(undefined);
    expect(config.redisUrl).to.equal(undefined);
    expect(config.env).to.equal('development');
    expect(config.port).to.equal(3000);
  });

  it('production refuses to start without DATABASE_URL, REDIS_URL, JWT_SECRET and DATA_ENCRYPTION_KEY, naming each', () => {
    const err = configError({ NODE_ENV: 'production' });
    expect(err.variables).to.have.members(['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'DATA_ENCRYPTION_KEY']);
    expect(err.message).to.contain('DATABASE_URL').and.contain('REDIS_URL');
  });

  it('names a malformed variable and says what is wrong', () => {
    const err = configError({ PORT: 'eighty', DATABASE_URL: 'postgres://x/y', JWT_SECRET: 'short' });
    expect(err.variables).to.have.members(['PORT', 'DATABASE_URL', 'JWT_SECRET']);
    expect(err.message).to.match(/PORT: must be a number/);
    expect(err.message).to.match(/JWT_SECRET: length must be at least 32/);
  });

  it('CHANGE_LOG_RETENTION_DAYS: 30 days by default, a whole number of days from 1', () => {
    expect(loadConfig({}).changeLog.retentionDays).to.equal(30);
    expect(loadConfig({ CHANGE_LOG_RETENTION_DAYS: '7' }).changeLog.retentionDays).to.equal(7);
    for (const bad of ['0', '1.5', 'week']) expect(configError({ CHANGE_LOG_RETENTION_DAYS: bad }).variables).to.deep.equal(['CHANGE_LOG_RETENTION_DAYS']);
  });

  it('accepts a complete production environment', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'mysql://amt:pw@db:3306/amt',
      REDIS_URL: 'redis://redis:6379',
      JWT_SECRET: 'x'.repeat(40),
      DATA_ENCRYPTION_KEY: 'ab'.repeat(32),
    });
    expect(config.demo).to.equal(false);
    expect(config.jwt.secret).to.have.length(40);
  });

  it('the server process exits 1 with the variable named when configuration is wrong', function () {
    this.timeout(20000);
    const res = spawnSync(process.execPath, ['--import=tsx', 'src/server.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, NODE_ENV: 'production' },
      encoding: 'utf8',
      timeout: 15000,
    });
    expect(res.status).to.equal(1);
    expect(res.stderr).to.contain('AMT could not start').and.contain('DATABASE_URL').and.contain('REDIS_URL');
  });
});
