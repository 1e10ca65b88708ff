import Joi from 'joi';
import { Op, type Sequelize } from 'sequelize';
import type { ScopedActor } from '../../platform/auth/actor';
import type { AppContext } from '../../platform/context';
import { withTransaction } from '../../platform/db/transaction';
import { cursorPaginationQuery, decodeIdCursor, pagedResponseSchema, pageOf, type Paged } from '../../platform/http/pagination';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { idField } from '../../platform/http/schemas';
import { audit } from '../audit/audit';
import { AccountService } from './account.service';
import { AccountNote } from './models';

/**
 * Free-text notes on an account (a call, a visit, a promise heard at the door): anyone who can
 * see the account may add one and read them; notes are never edited (a correction is another
 * note), and each is audited.
 */
export class AccountNoteService {
  private readonly accounts: AccountService;

  constructor(private readonly sequelize: Sequelize) {
    this.accounts = new AccountService(sequelize);
  }

  view = (n: AccountNote) => ({ id: n.id, accountId: n.accountId, note: n.note, createdBy: n.createdBy, createdAt: n.createdAt.toISOString() });

  async add(actor: ScopedActor, accountId: number, note: string): Promise<AccountNote> {
    await this.accounts.visible(actor.scope, accountId);
    return withTransaction(this.sequelize, async (t) => {
      const row = await AccountNote.create({ accountId, note, createdBy: actor.employeeId }, { transaction: t });
      await audit.record(t, { actor, action: 'account.note_added', entity: 'accountNotes', entityId: row.id, after: { accountId, length: note.length } });
      return row;
    });
  }

  async list(actor: ScopedActor, accountId: number, q: { limit: number; cursor?: string }): Promise<Paged<AccountNote>> {
    await this.accounts.visible(actor.scope, accountId);
    const rows = await AccountNote.findAll({
      where: { accountId, ...(q.cursor ? { id: { [Op.lt]: decodeIdCursor(q.cursor) } } : {}) },
      order: [['id', 'DESC']],
      limit: q.limit + 1,
    });
    return pageOf(rows, q.limit, (last) => [last.id]);
  }
}

const noteSchema = Joi.object({
  id: Joi.number().integer().required(),
  accountId: Joi.number().integer().required(),
  note: Joi.string().required(),
  createdBy: Joi.number().integer().required(),
  createdAt: Joi.string().isoDate().required(),
});
const params = Joi.object<{ id: number }, true>({ id: idField().required() });

export function accountNoteRoutes(ctx: AppContext): RouteSpec[] {
  const notes = new AccountNoteService(ctx.sequelize);
  const tags = ['accounts'];
  return [
    defineRoute({
      method: 'get',
      path: '/accounts/:id/notes',
      summary: 'Notes on an account, newest first',
      tags,
      access: { permission: 'accounts:read' },
      params,
      query: Joi.object<{ limit: number; cursor?: string }, true>(cursorPaginationQuery),
      responses: { 200: { description: 'Notes', schema: pagedResponseSchema(noteSchema) }, 404: { description: "No such account in the caller's regions" } },
      handler: async (req) => {
        const page = await notes.list(employeeOf(req), req.valid.params.id, req.valid.query);
        return { body: { ...page, data: page.data.map(notes.view) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/accounts/:id/notes',
      summary: 'Add a note on an account (anyone who can see it; notes are never edited)',
      tags,
      access: { permission: 'accounts:read' },
      params,
      body: Joi.object<{ note: string }, true>({ note: Joi.string().trim().min(1).max(5000).required() }),
      responses: { 201: { description: 'Added', schema: noteSchema }, 404: { description: "No such account in the caller's regions" } },
      handler: async (req) => ({ status: 201, body: notes.view(await notes.add(employeeOf(req), req.valid.params.id, req.valid.body.note)) }),
    }),
  ];
}
