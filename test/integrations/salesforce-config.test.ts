import { expect } from 'chai';
import { createSalesforceTarget } from '../../src/modules/integrations/salesforce';
import { LogSalesforceTarget } from '../../src/modules/integrations/salesforce/target';
import { ConfigError, loadConfig } from '../../src/platform/config';
import type { AppContext } from '../../src/platform/context';
import { keyPair } from './salesforce-support';

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const REST = {
  SALESFORCE_DRIVER: 'rest',
  SALESFORCE_LOGIN_URL: 'https://login.salesforce.com/',
  SALESFORCE_CONSUMER_KEY: '3MVG9.key',
  SALESFORCE_USERNAME: 'integration@amt.example',
};

describe('Salesforce configuration (SALESFORCE_*)', () => {
  it('defaults to the log driver, whose target confirms without calling anyone', async () => {
    const config = loadConfig({});
    expect(config.salesforce.driver).to.equal('log');
    const target = createSalesforceTarget({ config } as AppContext);
    expect(target).to.be.instanceOf(LogSalesforceTarget);
    expect(await target.push([{ aggregate: 'customer', id: 1, events: ['customer.created'], payloads: [{}] }])).to.deep.equal([{ status: 'done' }]);
  });

  it('a half-configured rest driver stops the start, naming each missing variable', () => {
    const err = configError({ SALESFORCE_DRIVER: 'rest', SALESFORCE_LOGIN_URL: 'https://login.salesforce.com' });
    expect(err.variables).to.have.members(['SALESFORCE_CONSUMER_KEY', 'SALESFORCE_USERNAME', 'SALESFORCE_PRIVATE_KEY']);
  });

  it('a private key that is not a PEM is refused without its value appearing in the message', () => {
    const secret = 'not-a-key-but-a-secret-value-0123456789';
    const err = configError({ ...REST, SALESFORCE_PRIVATE_KEY: secret });
    expect(err.variables).to.deep.equal(['SALESFORCE_PRIVATE_KEY']);
    expect(err.message).not.to.contain(secret);
  });

  it('reads a complete rest configuration (a PEM given on one line with \\n escapes)', () => {
    const pem = keyPair().privateKey;
    const config = loadConfig({
      ...REST,
      SALESFORCE_PRIVATE_KEY: pem.replace(/\n/g, '\\n'),
      SALESFORCE_PERSON_ACCOUNTS: 'true',
      SALESFORCE_BULK_THRESHOLD: '500',
    });
    expect(config.salesforce).to.include({
      driver: 'rest',
      loginUrl: 'https://login.salesforce.com',
      privateKey: pem,
      apiVersion: '62.0',
      personAccounts: true,
      bulkThreshold: 500,
      pauseShare: 0.9,
    });
  });

  it('refuses a pause share outside (0, 1] and a bad cron', () => {
    const err = configError({ SALESFORCE_PAUSE_SHARE: '1.5', SALESFORCE_INBOUND_CRON: 'every minute' });
    expect(err.variables).to.have.members(['SALESFORCE_PAUSE_SHARE', 'SALESFORCE_INBOUND_CRON']);
  });
});
