import busboy from 'busboy';
import type { Request } from 'express';
import { HttpProblem, problems } from './problem';

export interface UploadedFile {
  /** The field the file came in. */
  field: string;
  /** The file name the client gave (never trusted for the type: see the caller's sniffing). */
  filename: string;
  bytes: Buffer;
}

export interface MultipartBody {
  fields: Record<string, string>;
  files: UploadedFile[];
}

/**
 * Reads a multipart/form-data request into memory, within limits: a file over `maxFileBytes` is a
 * 413 naming its field; more files or fields than allowed, or a malformed body, a 400. Routes that
 * take it declare `consumes: ['multipart/form-data']`; the JSON parsers leave such a body alone.
 */
export function readMultipart(req: Request, limits: { maxFileBytes: number; maxFiles?: number; maxFields?: number }): Promise<MultipartBody> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { fileSize: limits.maxFileBytes, files: limits.maxFiles ?? 1, fields: limits.maxFields ?? 10, fieldSize: 10_000 },
      });
    } catch {
      reject(problems.validation([{ field: 'body', in: 'body', message: 'not a multipart/form-data body (boundary missing)' }]));
      return;
    }
    const fields: Record<string, string> = {};
    const files: UploadedFile[] = [];
    let failure: HttpProblem | undefined;
    const fail = (p: HttpProblem) => {
      failure ??= p;
    };
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () =>
        fail(
          new HttpProblem(413, `The file in ${field} is larger than ${limits.maxFileBytes} bytes.`, {
            extensions: { errors: [{ field, in: 'body', message: `must be at most ${limits.maxFileBytes} bytes` }] },
          }),
        ),
      );
      stream.on('end', () => files.push({ field, filename: info.filename ?? '', bytes: Buffer.concat(chunks) }));
    });
    parser.on('filesLimit', () => fail(problems.validation([{ field: 'body', in: 'body', message: `at most ${limits.maxFiles ?? 1} file(s)` }])));
    parser.on('fieldsLimit', () => fail(problems.validation([{ field: 'body', in: 'body', message: 'too many fields' }])));
    parser.on('error', () => reject(failure ?? problems.validation([{ field: 'body', in: 'body', message: 'malformed multipart/form-data body' }])));
    parser.on('close', () => (failure ? reject(failure) : resolve({ fields, files })));
    req.pipe(parser);
  });
}
