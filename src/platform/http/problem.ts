/** RFC 9457 problem details: the one error model of the API. */
export interface FieldError {
  field: string;
  message: string;
  /** Where the field was: body, query, params or headers. */
  in?: string;
  type?: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  424: 'Failed Dependency',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const SLUGS: Record<number, string> = {
  400: 'validation-error',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  410: 'gone',
  412: 'precondition-failed',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'unprocessable',
  424: 'dependency-failed',
  428: 'precondition-required',
  429: 'rate-limited',
  500: 'internal-error',
  503: 'unavailable',
};

/** Members RFC 9457 defines; an extension may not reuse their names. */
const STANDARD_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'instance']);

export const PROBLEM_BASE = 'https://amt.example/problems/';

export class HttpProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail?: string;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    detail?: string,
    options: { type?: string; title?: string; extensions?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(detail ?? TITLES[status] ?? 'Error');
    this.name = 'HttpProblem';
    this.status = status;
    this.type = PROBLEM_BASE + (options.type ?? SLUGS[status] ?? 'error');
    this.title = options.title ?? TITLES[status] ?? 'Error';
    this.detail = detail;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }

  /**
   * The RFC 9457 body. Extensions come first so that none can override a standard member:
   * `status` is always the HTTP status, whatever a caller put in its extensions.
   */
  toBody(instance?: string): ProblemBody {
    const extensions = Object.fromEntries(Object.entries(this.extensions).filter(([k]) => !STANDARD_MEMBERS.has(k)));
    return {
      ...extensions,
      type: this.type,
      title: this.title,
      status: this.status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(instance ? { instance } : {}),
    };
  }
}

export const problems = {
  validation: (errors: FieldError[], detail = 'The request has invalid fields.') => new HttpProblem(400, detail, { extensions: { errors } }),
  unauthenticated: (detail = 'Authentication is required.') => new HttpProblem(401, detail, { headers: { 'WWW-Authenticate': 'Bearer' } }),
  forbidden: (detail = 'You do not have permission to do this.', type?: string) => new HttpProblem(403, detail, { type }),
  notFound: (what = 'resource') => new HttpProblem(404, `The ${what} was not found.`),
  conflict: (detail: string, type?: string, extensions?: Record<string, unknown>) => new HttpProblem(409, detail, { type, extensions }),
  preconditionFailed: (detail: string) => new HttpProblem(412, detail),
  preconditionRequired: (detail: string) => new HttpProblem(428, detail),
  unprocessable: (detail: string, type?: string, extensions?: Record<string, unknown>) => new HttpProblem(422, detail, { type, extensions }),
  tooManyRequests: (retryAfterSeconds: number, detail = 'Too many requests; try again later.') =>
    new HttpProblem(429, detail, { headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) } }),
  unavailable: (detail: string) => new HttpProblem(503, detail),
};
