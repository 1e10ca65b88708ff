import Joi from 'joi';
import { NOTIFICATION_CHANNELS, NotificationTemplate } from '../../notifications/models';
import { PaymentType } from '../../payments/models';
import { resource, type ResourceBody } from '../resource';
import { code, filter, name, text } from './fields';

const reference = { read: 'reference:read', write: 'reference:write' };

export const paymentTypes = resource({
  name: 'payment types',
  singular: 'payment type',
  path: '/payment-types',
  model: PaymentType,
  permissions: reference,
  create: Joi.object<ResourceBody<PaymentType, 'name' | 'code' | 'description'>, true>({
    name: name().required(),
    code: code().required(),
    description: text().allow(null, ''),
  }),
  filters: { code: filter.code() },
  sort: ['name', 'code', 'id'],
  search: ['name', 'code'],
});

const language = () =>
  Joi.string()
    .pattern(/^[a-z]{2,3}(-[A-Z]{2})?$/)
    .messages({ 'string.pattern.base': '{#label} must be a language code such as en, sw or fr' });

/** {{placeholder}} names; any other use of braces is refused so a typo never reaches a customer. */
const templateText = (max: number) =>
  Joi.string()
    .min(1)
    .max(max)
    .custom((value: string, helpers) => {
      const stripped = value.replace(/\{\{\s*[A-Za-z][A-Za-z0-9_]*\s*\}\}/g, '');
      return /[{}]/.test(stripped) ? helpers.message({ custom: '{#label} has a malformed placeholder; write {{name}}' }) : value;
    });

export const notificationTemplates = resource({
  name: 'notification templates',
  singular: 'notification template',
  path: '/notification-templates',
  model: NotificationTemplate,
  permissions: reference,
  create: Joi.object<ResourceBody<NotificationTemplate, 'code' | 'language' | 'channel' | 'subject' | 'body' | 'description'>, true>({
    code: Joi.string()
      .pattern(/^[a-z][a-z0-9_]{0,99}$/)
      .required()
      .messages({ 'string.pattern.base': '{#label} must be snake_case, e.g. payment_received' }),
    language: language().required(),
    channel: Joi.string()
      .valid(...NOTIFICATION_CHANNELS)
      .required(),
    subject: templateText(255).allow(null),
    body: templateText(5000).required().description('Text with {{placeholders}}'),
    description: name().allow(null),
  }),
  immutable: ['code', 'language', 'channel'],
  filters: { code: filter.text(100), language: language(), channel: Joi.string().valid(...NOTIFICATION_CHANNELS) },
  sort: ['code', 'language', 'id'],
  search: ['code', 'description'],
  description: 'Message texts per code, language and channel; bodies use {{placeholders}} filled by the notifications service.',
  rules: (next) => (next.channel === 'email' && !next.subject ? [{ field: 'subject', message: 'an e-mail template needs a subject' }] : []),
});
