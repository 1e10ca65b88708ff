import { Writable } from 'node:stream';
import { expect } from 'chai';
import express from 'express';
import pino from 'pino';
import supertest from 'supertest';
import { requestLog } from '../../src/platform/http/request-log';
import { REDACT_PATHS } from '../../src/platform/logging/logger';

describe('logging', () => {
  it('never writes passwords, tokens, secrets or national IDs', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write: (chunk, _enc, cb) => {
        lines.push(String(chunk));
        cb();
      },
    });
    const logger = pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    logger.info(
      {
        password: 'hunter2',
        body: { password: 'hunter2', refreshToken: 'rt-123', nationalId: '12345678' },
        customer: { profile: { nationalId: '87654321' } },
        client: { secret: 's3cr3t' },
        documents: { s3: { bucket: 'kyc', secretAccessKey: 'aws-secret-key-value' } },
        req: { headers: { authorization: 'Bearer abc.def.ghi' } },
      },
      'event',
    );
    const out = lines.join('');
    for (const leaked of ['hunter2', 'rt-123', '12345678', '87654321', 's3cr3t', 'abc.def.ghi', 'aws-secret-key-value']) {
      expect(out, `log contains ${leaked}`).not.to.contain(leaked);
    }
    expect(out).to.contain('[redacted]');
  });
});

describe('request log (one line per request, when its level is on)', () => {
  function appLogging(level: string) {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write: (chunk, _enc, cb) => {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        cb();
      },
    });
    const app = express();
    app.use(requestLog(pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink)));
    app.get('/ok', (_req, res) => {
      res.json({ ok: true });
    });
    app.get('/missing', (_req, res) => {
      res.status(404).json({});
    });
    app.get('/down', (_req, res) => {
      res.status(503).json({});
    });
    app.get('/boom', (_req, res) => {
      res.status(500).json({});
    });
    return { app, lines };
  }
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('logs id, method, url, status and time at info; keeps a good caller id and echoes it; never the headers', async () => {
    const { app, lines } = appLogging('info');
    const res = await supertest(app).get('/ok?x=1').set('Authorization', 'Bearer secret.token.here').set('X-Request-Id', 'req-12345678');
    await settle();
    expect(res.headers['x-request-id']).to.equal('req-12345678');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.deep.include({
      level: 30,
      msg: 'request completed',
      req: { id: 'req-12345678', method: 'GET', url: '/ok?x=1' },
      res: { statusCode: 200 },
    });
    expect(lines[0]!.responseTime).to.be.a('number');
    expect(JSON.stringify(lines)).not.to.contain('secret.token.here');
    const fresh = await supertest(app).get('/ok').set('X-Request-Id', 'bad id!');
    expect(fresh.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
  });

  it('at warn: nothing for a 2xx, warn for a 4xx and a 503, error with err for another 5xx', async () => {
    const { app, lines } = appLogging('warn');
    await supertest(app).get('/ok');
    await supertest(app).get('/missing');
    await supertest(app).get('/down');
    await supertest(app).get('/boom');
    await settle();
    expect(lines.map((l) => [l.level, l.msg, (l.res as { statusCode: number }).statusCode])).to.deep.equal([
      [40, 'request completed', 404],
      [40, 'request errored', 503],
      [50, 'request errored', 500],
    ]);
    expect((lines[2]!.err as { message: string }).message).to.equal('failed with status code 500');
  });
});
