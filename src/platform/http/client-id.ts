import Joi from 'joi';

/**
 * The client-generated id a phone gives each create or edit it queues (UUID v4): the route's
 * `idempotent: 'clientId'` makes a retry with it answer the first result, never a duplicate.
 */
export const clientIdField = () =>
  Joi.string()
    .guid({ version: 'uuidv4' })
    .description(
      'A UUID v4 the client makes for this create or edit: a retry with the same clientId and body answers the first result (Idempotent-Replayed: true); ' +
        'with another body it is a 422. Kept 90 days.',
    );

/** A create or edit body that may carry the phone's clientId. */
export type WithClientId<T> = T & { clientId?: string };

/** The body without its clientId: what the service is given (the router has already keyed the request by it). */
export function withoutClientId<T extends object>(body: WithClientId<T>): T {
  const { clientId: _clientId, ...rest } = body;
  return rest as T;
}
