import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { UUID } from '../../src/api/query-schema.js';
import { parseIsoDateTime } from '../../src/core/iso-date-time.js';

/** A JSON Schema or any part of the document, as read from /v1/openapi.json. */
type Json = any;

/** One operation of the document: where it is, and what it says. */
export interface Operation {
  method: string;
  path: string;
  op: Json;
}

/** Every operation, in document order. */
export function operations(doc: Json): Operation[] {
  return Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
}

/** An example of the document with the schema it illustrates, and where it is (for messages). */
export interface Example {
  where: string;
  value: unknown;
  schema: Json;
}

/** A media type's examples: its `example`, or each of its `examples`. */
function mediaExamples(where: string, media: Json): Example[] {
  const named = Object.entries((media.examples ?? {}) as Record<string, { value: unknown }>).map(([name, e]) => ({
    where: `${where} (${name})`,
    value: e.value,
    schema: media.schema,
  }));
  return media.example === undefined ? named : [{ where, value: media.example, schema: media.schema }, ...named];
}

/** The request examples of an operation: its body's and its parameters'. */
export function requestExamples({ method, path, op }: Operation): Example[] {
  const body = Object.entries((op.requestBody?.content ?? {}) as Record<string, Json>).flatMap(([type, media]) =>
    mediaExamples(`${method} ${path} request ${type}`, media),
  );
  const params = ((op.parameters ?? []) as Json[]).flatMap((p) =>
    mediaExamples(`${method} ${path} ${p.in} parameter ${p.name}`, p),
  );
  return [...body, ...params];
}

/** The response examples of an operation, of every status and media type. */
export function responseExamples({ method, path, op }: Operation): Example[] {
  return Object.entries((op.responses ?? {}) as Record<string, Json>).flatMap(([status, response]) =>
    Object.entries((response.content ?? {}) as Record<string, Json>).flatMap(([type, media]) =>
      mediaExamples(`${method} ${path} ${status} ${type}`, media),
    ),
  );
}

const COMPONENTS = 'https://taifa.test/components';

/** `schema` with its references to the document's components pointed at the copy the validator holds. */
function withComponentRefs(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(withComponentRefs);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([k, v]) =>
      k === '$ref' && typeof v === 'string'
        ? [k, v.replace('#/components/schemas/', `${COMPONENTS}#/$defs/`)]
        : [k, withComponentRefs(v)],
    ),
  );
}

/**
 * A validator of the document's schemas (JSON Schema 2020-12, as OpenAPI 3.1 has them), with their references
 * to the document's components resolved, and the formats the API gives: uuid and a real ISO 8601 date-time.
 */
export function schemaValidator(doc: Json): (schema: Json) => ValidateFunction {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  ajv.addFormat('uuid', UUID);
  // OpenAPI's name for base64 (contentEncoding) text.
  ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => parseIsoDateTime(s).ok });
  ajv.addSchema({ $id: COMPONENTS, $defs: withComponentRefs(doc.components?.schemas ?? {}) });
  return (schema) => ajv.compile(withComponentRefs(schema));
}

/** Every schema of the document (components, bodies, answers, parameters), with where it is. */
export function allSchemas(doc: Json): Array<{ where: string; schema: Json }> {
  const out = Object.entries((doc.components?.schemas ?? {}) as Record<string, Json>).map(([name, schema]) => ({
    where: `components.schemas.${name}`,
    schema,
  }));
  for (const o of operations(doc)) {
    const at = `${o.method} ${o.path}`;
    for (const [type, media] of Object.entries((o.op.requestBody?.content ?? {}) as Record<string, Json>))
      out.push({ where: `${at} request ${type}`, schema: media.schema });
    for (const p of (o.op.parameters ?? []) as Json[])
      out.push({ where: `${at} parameter ${p.name}`, schema: p.schema });
    for (const [status, response] of Object.entries((o.op.responses ?? {}) as Record<string, Json>))
      for (const [type, media] of Object.entries((response.content ?? {}) as Record<string, Json>))
        out.push({ where: `${at} ${status} ${type}`, schema: media.schema });
  }
  return out;
}

/** The properties of a schema and of every schema within it that have no description, as paths. */
export function undescribedProperties(schema: Json, where: string): string[] {
  if (schema === null || typeof schema !== 'object') return [];
  const missing: string[] = [];
  for (const [name, property] of Object.entries((schema.properties ?? {}) as Record<string, Json>)) {
    // A reference is described where it leads (the components are walked too).
    const described = typeof property?.description === 'string' && property.description.trim() !== '';
    if (!described && !property?.$ref) missing.push(`${where}.${name}`);
    missing.push(...undescribedProperties(property, `${where}.${name}`));
  }
  if (schema.items) missing.push(...undescribedProperties(schema.items, `${where}[]`));
  if (typeof schema.additionalProperties === 'object')
    missing.push(...undescribedProperties(schema.additionalProperties, `${where}.*`));
  return missing;
}

/** Every string of an example with the schema it sits under (the schema of its property or item). */
export function exampleStrings(value: unknown, schema: Json, name = ''): ExampleString[] {
  if (typeof value === 'string') return [{ name, value, schema: schema ?? {} }];
  if (Array.isArray(value)) return value.flatMap((v) => exampleStrings(v, schema?.items, name));
  if (value === null || typeof value !== 'object') return [];
  const other = typeof schema?.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  return Object.entries(value).flatMap(([k, v]) => exampleStrings(v, schema?.properties?.[k] ?? other, k));
}

/** A string of an example: the property it is the value of, and that property's schema. */
export interface ExampleString {
  name: string;
  value: string;
  schema: Json;
}
