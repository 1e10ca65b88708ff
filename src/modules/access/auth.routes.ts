import Joi from 'joi';
import type { Request } from 'express';
import { defineRoute, type RouteSpec } from '../../platform/http/route';
import type { AppContext } from '../../platform/context';
import { AuthService, type LoginInput } from './auth.service';

const password = Joi.string().min(1).max(256).required();
const loginBody = Joi.object<LoginInput, true>({
  email: Joi.string().email({ tlds: false }).max(255),
  phone: Joi.string().pattern(/^\+?[0-9\s-]{6,20}$/),
  password,
})
  .xor('email', 'phone')
  .description('Log in with e-mail or phone, and password.');

const refreshBody = Joi.object<{ refreshToken: string }, true>({ refreshToken: Joi.string().min(20).max(200).required() });

const tokenPair = Joi.object({
  accessToken: Joi.string().required(),
  tokenType: Joi.string().valid('Bearer').required(),
  expiresIn: Joi.number().integer().required().description('Seconds until the access token expires'),
  refreshToken: Joi.string().required().description('Opaque; rotated on every use'),
  refreshExpiresAt: Joi.string().isoDate().required(),
});

const me = Joi.object({
  id: Joi.number().integer(),
  employeeCode: Joi.string(),
  firstName: Joi.string(),
  lastName: Joi.string(),
  email: Joi.string().allow(null),
  phone: Joi.string().allow(null),
  role: Joi.object({ id: Joi.number().integer(), name: Joi.string() }),
  permissions: Joi.array().items(Joi.string()),
  regions: Joi.array().items(Joi.object({ id: Joi.number().integer(), code: Joi.string(), name: Joi.string() })),
});

const clientOf = (req: Request) => ({ ip: req.ip ?? 'unknown', userAgent: req.get('user-agent') });

export function authRoutes(ctx: AppContext): RouteSpec[] {
  const auth = new AuthService(ctx.sequelize, ctx.config);
  const tags = ['auth'];
  return [
    defineRoute({
      method: 'post',
      path: '/auth/login',
      summary: 'Log in and receive an access token and a refresh token',
      tags,
      access: { public: true, why: 'this is how a caller gets a token' },
      body: loginBody,
      responses: { 200: { description: 'Logged in', schema: tokenPair } },
      handler: async (req) => ({ body: await auth.login(req.valid.body, clientOf(req)) }),
    }),
    defineRoute({
      method: 'post',
      path: '/auth/refresh',
      summary: 'Exchange a refresh token for a new pair (the old one stops working)',
      tags,
      access: { public: true, why: 'the refresh token is the credential' },
      body: refreshBody,
      responses: { 200: { description: 'New token pair', schema: tokenPair } },
      handler: async (req) => ({ body: await auth.refresh(req.valid.body.refreshToken, clientOf(req)) }),
    }),
    defineRoute({
      method: 'post',
      path: '/auth/logout',
      summary: 'End the session the refresh token belongs to',
      tags,
      access: { authenticated: true },
      body: refreshBody,
      responses: { 204: { description: 'Logged out' } },
      handler: async (req) => {
        await auth.logout(req.principal!.employeeId, req.valid.body.refreshToken);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/auth/me',
      summary: 'The calling employee, with role, permissions and regions',
      tags,
      access: { authenticated: true },
      responses: { 200: { description: 'The caller', schema: me } },
      handler: async (req) => ({ body: await auth.me(req.principal!.employeeId) }),
    }),
  ];
}
