import { problems } from './http/problem';

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF; a UTF-8 BOM is ignored. Returns [line, fields]. */
export function parseCsvText(text: string, invalidDetail = 'The file is not valid CSV.'): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let field = '';
  let fields: string[] = [];
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let i = 0;
  const endRow = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0]!.trim() === '')) rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
  };
  while (i < s.length) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\r' && s[i + 1] === '\n') {
      // CRLF: the \n ends the row
    } else if (c === '\n' || c === '\r') {
      endRow();
      line++;
      rowLine = line;
    } else field += c;
    i++;
  }
  if (quoted) throw problems.validation([{ field: `line ${rowLine}`, in: 'body', message: 'a quoted field is not closed' }], invalidDetail);
  if (field !== '' || fields.length) endRow();
  return rows;
}
