import express, { type NextFunction, type Request, type Response } from 'express';
import jwt from 'jsonwebtoken';
import { createBullBoard } from '@bull-board/api';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { AppConfig } from '../../platform/config';
import type { AppContext } from '../../platform/context';
import { HttpProblem, problems } from '../../platform/http/problem';
import { BullQueue } from '../../platform/queue/bull';
import { createPrincipalLoader } from '../access/principal-loader';

/**
 * Bull Board at /admin/queues, for staff with ops:jobs. A browser cannot send the API's bearer
 * token when it navigates to a page, so besides `Authorization: Bearer <access token>` the board
 * accepts a short-lived cookie: GET /api/v1/ops/board-session (bearer, ops:jobs) sets
 * `amt_board` (a JWT of its own audience, 15 minutes, HttpOnly, SameSite=Strict, Path=/admin/queues,
 * Secure in production), then open /admin/queues in the same browser. The permission is checked
 * again on every request (a role that loses ops:jobs loses the board within the principal cache's
 * 10 seconds). Without Redis (demo) there are no Bull queues: /admin/queues answers 404.
 */
export const BOARD_PATH = '/admin/queues';
export const BOARD_COOKIE = 'amt_board';
export const BOARD_SESSION_SECONDS = 900;
export const BOARD_PERMISSION = 'ops:jobs';

function boardAudience(config: AppConfig['jwt']): string {
  return `${config.audience}:board`;
}

export function signBoardSession(config: AppConfig['jwt'], employeeId: number): string {
  return jwt.sign({ sub: String(employeeId), typ: 'board' }, config.secret, {
    algorithm: 'HS256',
    issuer: config.issuer,
    audience: boardAudience(config),
    expiresIn: BOARD_SESSION_SECONDS,
  });
}

export function boardCookie(token: string, secure: boolean): string {
  return `${BOARD_COOKIE}=${token}; Path=${BOARD_PATH}; Max-Age=${BOARD_SESSION_SECONDS}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** The employee id the request proves: a bearer access token, or the board cookie. */
function employeeIdOf(req: Request, config: AppConfig['jwt']): number | undefined {
  const verify = (token: string, audience: string, typ: string) => {
    try {
      const claims = jwt.verify(token, config.secret, { algorithms: ['HS256'], issuer: config.issuer, audience, clockTolerance: 5 }) as jwt.JwtPayload;
      return claims.typ === typ && typeof claims.sub === 'string' && /^\d+$/.test(claims.sub) ? Number(claims.sub) : undefined;
    } catch {
      return undefined;
    }
  };
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return verify(auth.slice(7).trim(), config.audience, 'access');
  const cookie = cookieValue(req.headers.cookie, BOARD_COOKIE);
  return cookie ? verify(cookie, boardAudience(config), 'board') : undefined;
}

export function boardMount(ctx: AppContext): { path: string; handler: express.Router } {
  const router = express.Router();
  const queue = ctx.queue;
  if (!(queue instanceof BullQueue)) {
    router.use((_req: Request, _res: Response, next: NextFunction) =>
      next(new HttpProblem(404, 'Bull Board needs Redis (REDIS_URL). In demo mode the jobs run in-process and keep no queues to show.')),
    );
    return { path: BOARD_PATH, handler: router };
  }
  const loadPrincipal = createPrincipalLoader();
  router.use((req: Request, _res: Response, next: NextFunction) => {
    const employeeId = employeeIdOf(req, ctx.config.jwt);
    if (employeeId === undefined)
      return next(problems.unauthenticated('Bull Board needs a bearer access token or the cookie from GET /api/v1/ops/board-session.'));
    loadPrincipal(employeeId).then(
      (p) =>
        p?.permissions.has(BOARD_PERMISSION)
          ? next()
          : next(p ? problems.forbidden(`This needs the ${BOARD_PERMISSION} permission.`) : problems.unauthenticated()),
      next,
    );
  });
  // Built on first use, so processes that never open the board create no queue connections for it.
  let board: express.Router | undefined;
  router.use((req: Request, res: Response, next: NextFunction) => {
    if (!board) {
      const serverAdapter = new ExpressAdapter();
      serverAdapter.setBasePath(BOARD_PATH);
      createBullBoard({ queues: queue.allQueues().map((q) => new BullAdapter(q) as never), serverAdapter: serverAdapter as never });
      board = serverAdapter.getRouter() as express.Router;
    }
    board(req, res, next);
  });
  return { path: BOARD_PATH, handler: router };
}
