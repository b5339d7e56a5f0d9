/** A record of a CSV text: its fields and the line it starts on (1-based). */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/** A line that could not be read as CSV. */
export interface CsvError {
  line: number;
  error: string;
}

/**
 * Reads CSV as RFC 4180 writes it: comma-separated fields, records ended by CRLF or LF, fields in
 * double quotes may hold commas, line breaks and doubled quotes (""). Blank lines are skipped. A
 * record that breaks the rules (a quote inside an unquoted field, text after a closing quote, a
 * quote never closed) is reported with its line and skipped; reading resumes at the next line.
 */
export function parseCsv(text: string): { records: CsvRecord[]; errors: CsvError[] } {
  const records: CsvRecord[] = [];
  const errors: CsvError[] = [];
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let i = 0;
  let line = 1;
  while (i < src.length) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let fault: string | null = null;
    let quoted = false;
    let afterQuote = false;
    for (;;) {
      if (i >= src.length) {
        if (quoted) fault = 'a quoted field is not closed';
        break;
      }
      const c = src[i]!;
      if (quoted) {
        i++;
        if (c === '"') {
          if (src[i] === '"') {
            field += '"';
            i++;
          } else {
            quoted = false;
            afterQuote = true;
          }
        } else {
          if (c === '\n') line++;
          field += c;
        }
        continue;
      }
      if (c === '\n' || (c === '\r' && src[i + 1] === '\n')) {
        i += c === '\r' ? 2 : 1;
        line++;
        break;
      }
      i++;
      if (c === ',') {
        fields.push(field);
        field = '';
        afterQuote = false;
      } else if (c === '"' && field === '' && !afterQuote) quoted = true;
      else if (afterQuote) fault = 'text after a closing quote';
      else if (c === '"') fault = 'a quote inside an unquoted field (quote the field and double the quote)';
      else field += c;
      if (fault) {
        // Skip the rest of this physical line.
        while (i < src.length && src[i] !== '\n') i++;
        if (i < src.length) {
          i++;
          line++;
        }
        break;
      }
    }
    if (fault) {
      errors.push({ line: start, error: fault });
      continue;
    }
    fields.push(field);
    if (fields.length === 1 && fields[0] === '') continue; // a blank line
    records.push({ line: start, fields });
  }
  return { records, errors };
}
