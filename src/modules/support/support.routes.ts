import Joi from 'joi';
import type { AppContext } from '../../platform/context';
import { pagedResponseSchema, paginationQuery } from '../../platform/http/pagination';
import { defineRoute, employeeOf, type RouteSpec } from '../../platform/http/route';
import { idField, paymentAmountField } from '../../platform/http/schemas';
import { mintedTokensSchema, tokenResendSchema } from '../devices/devices.responses';
import { TICKET_CATEGORIES, TICKET_CHANNELS, TICKET_PRIORITIES, TICKET_STATUSES, WARRANTY_CLAIM_STATUSES } from './models';
import { approvedClaimSchema, commentSchema, deviceSwapSchema, ticketSchema, warrantyClaimSchema } from './support.responses';
import { DeviceSwapService, deviceSwapView, type SwapInput, type SwapResult } from './swap.service';
import {
  DEFAULT_SLA_HOURS,
  TicketService,
  commentView,
  ticketView,
  type OpenTicketInput,
  type TicketListQuery,
  type UpdateTicketInput,
} from './tickets.service';
import { WARRANTY_DECIDE, WarrantyService, claimView, type ApproveClaimInput, type ClaimInput, type ClaimListQuery } from './warranty.service';

const id = idField();
const idParams = Joi.object<{ id: number }, true>({ id: id.required() });
const tags = ['support'];
const reasonField = Joi.string().trim().min(3).max(255);

interface CommentBody {
  body: string;
  isInternal?: boolean;
}

interface ReasonBody {
  reason: string;
}

const slaText = Object.entries(DEFAULT_SLA_HOURS)
  .map(([c, h]) => `${c} ${h} h`)
  .join(', ');

/** /support/tickets, /support/warranty-claims and POST /accounts/{id}/device-swap (docs/support.md). */
export function supportRoutes(ctx: AppContext): RouteSpec[] {
  const tickets = new TicketService(ctx);
  const warranty = new WarrantyService(ctx);
  const swaps = new DeviceSwapService(ctx);
  const ticketErrors = { 404: { description: "No such ticket in the caller's regions" } };
  return [
    defineRoute({
      method: 'get',
      path: '/support/tickets',
      summary: "Support tickets of the caller's regions (the customer's region), newest first",
      tags,
      access: { permission: 'support:read' },
      query: Joi.object<TicketListQuery, true>({
        status: Joi.string().valid(...TICKET_STATUSES),
        category: Joi.string().valid(...TICKET_CATEGORIES),
        assignedTo: id,
        accountId: id,
        customerId: id,
        overdue: Joi.boolean().description('true: still worked and past the SLA due time; false: the others'),
        limit: paginationQuery.limit,
        cursor: paginationQuery.cursor,
      }),
      responses: { 200: { description: 'A page of tickets', schema: pagedResponseSchema(ticketSchema) } },
      handler: async (req) => {
        const page = await tickets.list(employeeOf(req), req.valid.query);
        const now = new Date();
        return { body: { data: page.data.map((s) => ticketView(s, now)), page: page.page } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/support/tickets',
      summary: 'Open a support ticket about a customer (and one of their accounts and its device)',
      description:
        `The SLA due time is the opening plus the category's hours: systemSettings \`support.sla\` ({ "<category>": hours }), else ${slaText}. ` +
        "The assignee (optional) must be active, hold support:write and cover the customer's region (else 422). Audited.",
      tags,
      access: { permission: 'support:write' },
      body: Joi.object<OpenTicketInput, true>({
        customerId: id.description('Required unless accountId is given (the account names its customer)'),
        accountId: id,
        deviceId: id.description('A device of the account (needs accountId)'),
        category: Joi.string()
          .valid(...TICKET_CATEGORIES)
          .required(),
        subject: Joi.string().trim().min(3).max(255).required(),
        description: Joi.string().trim().max(10_000),
        priority: Joi.string().valid(...TICKET_PRIORITIES),
        channel: Joi.string()
          .valid(...TICKET_CHANNELS)
          .description('Who raised it; defaults to back_office for all-region staff, agent otherwise'),
        assignedTo: id,
      }),
      responses: {
        201: { description: 'The ticket', schema: ticketSchema },
        404: { description: "No such customer or account in the caller's regions" },
        422: { description: 'The assignee cannot work tickets in this region' },
      },
      handler: async (req) => {
        const ticket = await tickets.open(employeeOf(req), req.valid.body);
        return { status: 201, body: ticketView(ticket), headers: { Location: `/api/v1/support/tickets/${ticket.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/support/tickets/:id',
      summary: 'One support ticket',
      tags,
      access: { permission: 'support:read' },
      params: idParams,
      responses: { 200: { description: 'The ticket', schema: ticketSchema }, ...ticketErrors },
      handler: async (req) => ({ body: ticketView(await tickets.get(employeeOf(req), req.valid.params.id)) }),
    }),
    defineRoute({
      method: 'patch',
      path: '/support/tickets/:id',
      summary: 'Change a ticket: status, priority, assignee (assign, reassign, unassign with null), resolution',
      description:
        'Status: open -> in_progress -> resolved -> closed; resolved or closed -> open (reopen); anything else is a 409. ' +
        'Resolving needs a resolution (this one or one given before). Audited.',
      tags,
      access: { permission: 'support:write' },
      params: idParams,
      body: Joi.object<UpdateTicketInput, true>({
        status: Joi.string().valid(...TICKET_STATUSES.filter((s) => s !== 'pending')),
        priority: Joi.string().valid(...TICKET_PRIORITIES),
        assignedTo: id.allow(null),
        resolution: Joi.string().trim().min(3).max(10_000),
      }).min(1),
      responses: {
        200: { description: 'The ticket', schema: ticketSchema },
        ...ticketErrors,
        409: { description: 'Not a status the ticket can move to from its own' },
        422: { description: 'The assignee cannot work tickets in this region' },
      },
      handler: async (req) => ({ body: ticketView(await tickets.update(employeeOf(req), req.valid.params.id, req.valid.body)) }),
    }),
    defineRoute({
      method: 'get',
      path: '/support/tickets/:id/comments',
      summary: "A ticket's comments, oldest first (internal ones only for callers holding support:internal)",
      tags,
      access: { permission: 'support:read' },
      params: idParams,
      responses: { 200: { description: 'The comments', schema: Joi.object({ data: Joi.array().items(commentSchema) }) }, ...ticketErrors },
      handler: async (req) => ({ body: { data: (await tickets.comments(employeeOf(req), req.valid.params.id)).map(commentView) } }),
    }),
    defineRoute({
      method: 'post',
      path: '/support/tickets/:id/comments',
      summary: 'Comment on a ticket: for the customer, or internal (support:internal)',
      tags,
      access: { permission: 'support:write' },
      params: idParams,
      body: Joi.object<CommentBody, true>({ body: Joi.string().trim().min(1).max(10_000).required(), isInternal: Joi.boolean() }),
      responses: {
        201: { description: 'The comment', schema: commentSchema },
        403: { description: 'An internal comment without support:internal' },
        ...ticketErrors,
      },
      handler: async (req) => ({ status: 201, body: commentView(await tickets.comment(employeeOf(req), req.valid.params.id, req.valid.body)) }),
    }),
    defineRoute({
      method: 'post',
      path: '/support/tickets/:id/resend-token',
      summary: "Token not working: send the device's last token to the customer again by SMS",
      description:
        "A token_not_working ticket still being worked, naming its device (else 409). Through the devices module's resend (audited there, a repeat within " +
        'minutes joins the first SMS); an internal comment and an audit row on the ticket record it.',
      tags,
      access: { permission: 'support:tokens' },
      params: idParams,
      body: Joi.object<ReasonBody, true>({ reason: reasonField.required() }),
      responses: {
        200: { description: 'The SMS queued', schema: tokenResendSchema },
        ...ticketErrors,
        409: { description: 'Not a token_not_working ticket being worked, or no device' },
        422: { description: 'No token was ever minted, or the customer has no phone' },
      },
      handler: async (req) => ({ body: await tickets.resendToken(employeeOf(req), req.valid.params.id, req.valid.body.reason) }),
    }),
    defineRoute({
      method: 'post',
      path: '/support/tickets/:id/counter-sync',
      summary: 'Token not working: issue a COUNTER_SYNC token for the device',
      description:
        "Brings the device's token counter in line with the server's (OpenPAYGO COUNTER_SYNC; no credit moves). A token_not_working ticket being worked, " +
        'naming its device (else 409). Audited on the device and the ticket.',
      tags,
      access: { permission: 'support:tokens' },
      params: idParams,
      body: Joi.object<ReasonBody, true>({ reason: reasonField.required() }),
      responses: {
        200: { description: 'The token', schema: mintedTokensSchema },
        ...ticketErrors,
        409: { description: 'Not a token_not_working ticket being worked, or no device' },
        422: { description: 'The device takes no tokens' },
      },
      handler: async (req) => ({ body: await tickets.counterSync(employeeOf(req), req.valid.params.id, req.valid.body.reason) }),
    }),

    defineRoute({
      method: 'get',
      path: '/support/warranty-claims',
      summary: "Warranty claims of the caller's regions, newest first",
      tags,
      access: { permission: 'support:read' },
      query: Joi.object<ClaimListQuery, true>({
        status: Joi.string().valid(...WARRANTY_CLAIM_STATUSES),
        accountId: id,
        limit: paginationQuery.limit,
        cursor: paginationQuery.cursor,
      }),
      responses: { 200: { description: 'A page of claims', schema: pagedResponseSchema(warrantyClaimSchema) } },
      handler: async (req) => {
        const page = await warranty.list(employeeOf(req), req.valid.query);
        return { body: { data: page.data.map((c) => claimView(c)), page: page.page } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/support/warranty-claims',
      summary: "Claim warranty for an account's unit",
      description:
        "In warranty: the business date is on or before the unit's warranty expiry (the account device's warrantyExpiry, else its installation date plus the " +
        "product's warrantyPeriod months, else the months of the active warranty policy of its product type). Out of warranty, or no warranty at all: 409.",
      tags,
      access: { permission: 'support:write' },
      body: Joi.object<ClaimInput, true>({
        accountId: id.required(),
        deviceId: id.description('Required when the account has several devices'),
        supportTicketId: id,
        issue: Joi.string().trim().min(3).max(10_000).required(),
      }),
      responses: {
        201: { description: 'The claim, submitted', schema: warrantyClaimSchema },
        404: { description: "No such account in the caller's regions" },
        409: { description: 'Out of warranty, no warranty, or a claim for the unit is already waiting' },
      },
      handler: async (req) => {
        const { claim, warrantyExpiry } = await warranty.submit(employeeOf(req), req.valid.body);
        return { status: 201, body: claimView(claim, { warrantyExpiry }), headers: { Location: `/api/v1/support/warranty-claims/${claim.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/support/warranty-claims/:id',
      summary: 'One warranty claim',
      tags,
      access: { permission: 'support:read' },
      params: idParams,
      responses: { 200: { description: 'The claim', schema: warrantyClaimSchema }, 404: { description: "No such claim in the caller's regions" } },
      handler: async (req) => ({ body: claimView(await warranty.get(employeeOf(req), req.valid.params.id)) }),
    }),
    defineRoute({
      method: 'post',
      path: '/support/warranty-claims/:id/approve',
      summary: 'Approve a warranty claim: the unit is swapped for a replacement from stock, free of charge',
      description:
        `By another employee than the claimant (${WARRANTY_DECIDE}; the claimant gets 403). In one transaction, the account locked first: the old unit leaves ` +
        'the account and goes back, in repair, into the stock location the replacement left (movements both ways); the replacement is attached with a ' +
        "SET_TIME token carrying the account's remaining credit days and the original's warranty expiry. The claim ends 'replaced'.",
      tags,
      access: { permission: WARRANTY_DECIDE },
      params: idParams,
      body: Joi.object<ApproveClaimInput, true>({ replacementDeviceId: id.required(), resolution: Joi.string().trim().min(3).max(2000) }),
      responses: {
        200: { description: 'The claim and the swap', schema: approvedClaimSchema },
        403: { description: 'Missing permission, or the caller submitted the claim' },
        404: { description: "No such claim in the caller's regions" },
        409: {
          description:
            "Already decided; the replacement is not in stock, attached, in transit, in another agent's stock or outside the region; the account is not active",
        },
        422: { description: 'The replacement is not of the product the account financed' },
      },
      handler: async (req) => {
        const r = await warranty.approve(employeeOf(req), req.valid.params.id, req.valid.body);
        return { body: { claim: claimView(r.claim), swap: deviceSwapView(r.swap, r.token) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/support/warranty-claims/:id/reject',
      summary: 'Reject a warranty claim, with a reason',
      tags,
      access: { permission: WARRANTY_DECIDE },
      params: idParams,
      body: Joi.object<ReasonBody, true>({ reason: reasonField.required() }),
      responses: {
        200: { description: 'The claim, rejected', schema: warrantyClaimSchema },
        403: { description: 'Missing permission, or the caller submitted the claim' },
        404: { description: "No such claim in the caller's regions" },
        409: { description: 'Already decided' },
      },
      handler: async (req) => ({ body: claimView(await warranty.reject(employeeOf(req), req.valid.params.id, req.valid.body.reason)) }),
    }),

    defineRoute({
      method: 'post',
      path: '/accounts/:id/device-swap',
      summary: "Swap an account's device for a unit in stock (a paid swap; Idempotency-Key required)",
      description:
        'Not under warranty (warranty swaps come from approved warranty claims). In one transaction, the account locked first, then both devices: the old ' +
        "unit leaves the account and goes back, in repair, into the stock location the new unit left (the caller's own stock or a warehouse of the " +
        "account's region; never another agent's); the new unit is attached with a SET_TIME token carrying the account's remaining credit days; a fee is an " +
        'account charge (Dr 1200 / Cr 4300 fee income) and needs charges:write as well. See docs/support.md.',
      tags: ['support', 'accounts'],
      access: { permission: 'devices:swap' },
      idempotent: true,
      params: idParams,
      body: Joi.object<SwapInput, true>({
        newDeviceId: id.required(),
        oldDeviceId: id.description('Required when the account has several devices'),
        reason: reasonField.required(),
        fee: paymentAmountField(),
      }),
      responses: {
        201: { description: 'The swap', schema: deviceSwapSchema },
        403: { description: 'Missing devices:swap, or a fee without charges:write' },
        404: { description: "No such account in the caller's regions" },
        409: {
          description:
            "The new unit is not in stock, attached, in transit, in another agent's stock or outside the region; the old one is no longer attached; the account is not active",
        },
        422: { description: 'The new unit is not of the product the account financed' },
      },
      handler: async (req) => {
        const view = (r: SwapResult) => deviceSwapView(r.swap, r.token);
        const result = await swaps.paidSwap(employeeOf(req), req.valid.params.id, req.valid.body, (r, t) => req.idempotency!.complete(201, view(r), t));
        return { status: 201, body: view(result) };
      },
    }),
  ];
}
