import Joi from 'joi';

const problemSchema = Joi.object({
  type: Joi.string().required(),
  title: Joi.string().required(),
  status: Joi.number().integer().required(),
  detail: Joi.string(),
  instance: Joi.string(),
  errors: Joi.array().items(Joi.object({ field: Joi.string().required(), message: Joi.string().required(), in: Joi.string(), type: Joi.string() })),
}).unknown(true);

/** POST /sync/push: one answer per action, in the order sent. */
export const pushResultSchema = Joi.object({
  results: Joi.array()
    .items(
      Joi.object({
        clientId: Joi.string().required(),
        type: Joi.string().required(),
        outcome: Joi.string().valid('done', 'duplicate', 'rejected').required(),
        status: Joi.number().integer().required().description('The status the action alone would have answered'),
        result: Joi.any().description('done or duplicate: the body the action alone answers (the first answer, for a duplicate)'),
        problem: problemSchema.description('rejected: the problem+json the action alone would have answered'),
      }),
    )
    .required(),
});
