/**
 * `timebok validate <file…>`: runs each file through the XML guard and the compiled schema set and prints
 * `<file>: valid`, or `<file>: invalid` followed by one `  line N: <path>: <message>` line per problem.
 * Files that cannot be read or that the guard refuses are reported as invalid with the reason.
 */
import { readFile } from 'node:fs/promises';

import { loadSchemaSet, type SchemaSet } from '../envelope/schema.validator.js';
import { DEFAULT_XML_LIMITS, type SchemaIssue, type XmlLimits } from '../envelope/types.js';
import { guardXml } from '../envelope/xml.guard.js';
import { isTimebokError } from '../shared/errors.js';

/**
 * Validates files and reports through `out`. Returns the exit code: 1 if any file is invalid or unreadable,
 * 0 otherwise. A given `schemas` set is used and left open; otherwise one is loaded and disposed here.
 * The CLI validates files of any size up to the 20 MiB hard limit, so the guard runs with that size limit.
 */
export async function runValidate(files: string[], out: (line: string) => void, schemas?: SchemaSet): Promise<number> {
  const set = schemas ?? (await loadSchemaSet());
  const limits: XmlLimits = { ...DEFAULT_XML_LIMITS, maxBytes: 20 * 1024 * 1024 };
  let failures = 0;
  try {
    for (const file of files) {
      const lines = await validateFile(file, set, limits);
      if (lines.length > 0) failures++;
      out(`${file}: ${lines.length === 0 ? 'valid' : 'invalid'}`);
      for (const line of lines) out(`  ${line}`);
    }
  } finally {
    if (schemas === undefined) set.dispose();
  }
  return failures > 0 ? 1 : 0;
}

/** The problem lines of one file; empty when the file is valid. */
async function validateFile(file: string, schemas: SchemaSet, limits: XmlLimits): Promise<string[]> {
  let body: Uint8Array;
  try {
    body = await readFile(file);
  } catch (e) {
    return [`cannot read file: ${(e as NodeJS.ErrnoException).code ?? 'error'}`];
  }
  try {
    const text = guardXml(body, limits);
    const result = schemas.validate(text);
    if (result.valid) return [];
    return result.issues.length > 0 ? result.issues.map(formatIssue) : ['schema validation failed'];
  } catch (e) {
    if (isTimebokError(e)) return [`${e.code}: ${e.message}`];
    throw e;
  }
}

function formatIssue(issue: SchemaIssue): string {
  return `line ${issue.line ?? '?'}: ${issue.path ?? '?'}: ${issue.message}`;
}
