import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/platform/config';
import { keyPair, TBA } from './netsuite-support';

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const oauth2 = () => ({
  NETSUITE_DRIVER: 'rest',
  NETSUITE_ACCOUNT_ID: '1234567_SB1',
  NETSUITE_CLIENT_ID: 'client-amt',
  NETSUITE_CERTIFICATE_ID: 'cert-amt-1',
  NETSUITE_PRIVATE_KEY: keyPair().privateKey.replace(/\n/g, '\\n'),
});

describe('config: NETSUITE_*', () => {
  it('defaults to the log driver (demo): nothing else is needed', () => {
    expect(loadConfig({}).netsuite).to.deep.equal({ driver: 'log' });
  });

  it('rest with OAuth 2.0: the account URL is derived from the account id, the PEM may write its newlines as \\n; defaults for concurrency and timeouts', () => {
    const c = loadConfig(oauth2()).netsuite;
    expect(c).to.deep.include({
      driver: 'rest',
      accountId: '1234567_SB1',
      baseUrl: 'https://1234567-sb1.suitetalk.api.netsuite.com',
      concurrency: 5,
      timeoutMs: 30_000,
    });
    expect(c.driver === 'rest' && c.auth.mode === 'oauth2' && c.auth.privateKey).to.equal(keyPair().privateKey);
    expect(loadConfig({ ...oauth2(), NETSUITE_BASE_URL: 'http://127.0.0.1:4010/', NETSUITE_CONCURRENCY: '15' }).netsuite).to.deep.include({
      baseUrl: 'http://127.0.0.1:4010',
      concurrency: 15,
    });
  });

  it('a half-configured rest driver stops start-up naming each missing variable, never echoing a secret', () => {
    expect(configError({ NETSUITE_DRIVER: 'rest' }).variables).to.have.members([
      'NETSUITE_ACCOUNT_ID',
      'NETSUITE_CLIENT_ID',
      'NETSUITE_CERTIFICATE_ID',
      'NETSUITE_PRIVATE_KEY',
    ]);
    const { NETSUITE_CERTIFICATE_ID: _dropped, ...noCert } = oauth2();
    expect(configError(noCert).variables).to.deep.equal(['NETSUITE_CERTIFICATE_ID']);
    const badKey = configError({ ...oauth2(), NETSUITE_PRIVATE_KEY: 'not-a-pem-secret-value' });
    expect(badKey.variables).to.deep.equal(['NETSUITE_PRIVATE_KEY']);
    expect(badKey.message).to.not.include('not-a-pem-secret-value');
    expect(
      configError({ NETSUITE_DRIVER: 'rest', NETSUITE_ACCOUNT_ID: '1234567', NETSUITE_AUTH: 'tba', NETSUITE_CONSUMER_KEY: TBA.consumerKey }).variables,
    ).to.have.members(['NETSUITE_CONSUMER_SECRET', 'NETSUITE_TOKEN_ID', 'NETSUITE_TOKEN_SECRET']);
    expect(configError({ ...oauth2(), NETSUITE_CONCURRENCY: '0' }).variables).to.deep.equal(['NETSUITE_CONCURRENCY']);
    expect(configError({ NETSUITE_DRIVER: 'soap' }).variables).to.deep.equal(['NETSUITE_DRIVER']);
  });

  it('rest with TBA needs the four TBA values and no OAuth 2.0 ones', () => {
    const c = loadConfig({
      NETSUITE_DRIVER: 'rest',
      NETSUITE_ACCOUNT_ID: '1234567',
      NETSUITE_AUTH: 'tba',
      NETSUITE_CONSUMER_KEY: TBA.consumerKey,
      NETSUITE_CONSUMER_SECRET: TBA.consumerSecret,
      NETSUITE_TOKEN_ID: TBA.tokenId,
      NETSUITE_TOKEN_SECRET: TBA.tokenSecret,
    }).netsuite;
    expect(c).to.deep.include({ driver: 'rest', auth: { mode: 'tba', ...TBA } });
  });
});
