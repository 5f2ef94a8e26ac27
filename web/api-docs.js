// The API reference page: renders the server's own OpenAPI document (GET /openapi.json) readably.
// Everything from the document reaches the page as text nodes (via `h`), never as markup.

import { getToken, withToken } from './api.js';
import { h } from './render.js';
import { tokenForm } from './token.js';

/**
 * A JSON Schema / OpenAPI schema object, loosely typed: the page renders whatever it finds.
 * @typedef {Record<string, any>} Schema
 * @typedef {{ name: string, in: string, required?: boolean, description?: string, schema?: Schema,
 *   example?: unknown }} Parameter
 * @typedef {{ method: string, path: string, op: Record<string, any>, parameters: Parameter[] }} Operation
 */

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];

/** Sections of the page, most used first; an operation goes in the first whose prefix matches its path. */
const GROUPS = [
  { prefix: '/ask', title: 'Asking questions' },
  { prefix: '/documents', title: 'Documents' },
  { prefix: '/health', title: 'Health' },
  { prefix: '/v1', title: 'OpenAI-compatible' },
  { prefix: '/admin', title: 'Administration' },
  { prefix: '', title: 'Other' },
];

/** Bodies longer than this are cut in the "Try it" output (a whole article is far shorter). */
const MAX_SHOWN_CHARS = 100_000;

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @type {Record<string, any>} */
let spec = {};

// --- schemas ---------------------------------------------------------------------------------

/**
 * Follows a local `$ref` (`#/components/schemas/Name`).
 * @param {Schema | undefined} schema
 * @returns {{ name: string, schema: Schema }} `name` is the referenced schema's name, or ''
 */
function resolve(schema) {
  if (!schema || typeof schema !== 'object') return { name: '', schema: {} };
  const ref = schema.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return { name: '', schema };
  /** @type {any} */
  let target = spec;
  for (const part of ref.slice(2).split('/')) {
    target = target?.[decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return { name: ref.split('/').pop() ?? ref, schema: target && typeof target === 'object' ? target : {} };
}

/**
 * A short type, e.g. `string`, `integer`, `array of Citation`, `string or null`.
 * @param {Schema | undefined} raw
 * @returns {string}
 */
function typeLabel(raw) {
  const { name, schema } = resolve(raw);
  if (name) return name;
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives)) return alternatives.map(typeLabel).join(' or ');
  if (Array.isArray(schema.allOf)) return schema.allOf.map(typeLabel).join(' and ');
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (schema.nullable) types.push('null');
  const labels = types.map((/** @type {string} */ type) => {
    if (type === 'array') return schema.items ? `array of ${typeLabel(schema.items)}` : 'array';
    if (schema.format && type !== 'null') return `${type} (${schema.format})`;
    return type;
  });
  if (labels.length) return labels.join(' or ');
  if (schema.properties) return 'object';
  if ('const' in schema || Array.isArray(schema.enum)) return 'value';
  return 'any';
}

/**
 * Validation rules in words, one short phrase each.
 * @param {Schema} schema a resolved schema
 * @returns {string[]}
 */
function constraints(schema) {
  /** @type {[string, string][]} */
  const rules = [
    ['minLength', 'min length'],
    ['maxLength', 'max length'],
    ['minimum', 'minimum'],
    ['exclusiveMinimum', 'greater than'],
    ['maximum', 'maximum'],
    ['exclusiveMaximum', 'less than'],
    ['multipleOf', 'multiple of'],
    ['minItems', 'min items'],
    ['maxItems', 'max items'],
    ['minProperties', 'min fields'],
    ['maxProperties', 'max fields'],
  ];
  /** @type {string[]} */
  const out = [];
  for (const [key, words] of rules) {
    if (typeof schema[key] === 'number') out.push(`${words} ${schema[key]}`);
  }
  if (schema.uniqueItems) out.push('unique items');
  if (typeof schema.pattern === 'string') out.push(`pattern ${schema.pattern}`);
  return out;
}

/**
 * Text with `code spans` (as in the server's descriptions) shown as code.
 * @param {string} text
 * @returns {(Node | string)[]}
 */
function richText(text) {
  return String(text)
    .split('`')
    .map((part, i) => (i % 2 ? h('code', {}, part) : part));
}

/** @param {unknown} value */
const json = (value) => JSON.stringify(value) ?? String(value);

/**
 * The notes under a type: description, constraints, allowed values, default, example.
 * @param {Schema} outer the schema as written (a property's own description may sit beside its $ref)
 * @param {Schema} schema the resolved schema
 * @returns {HTMLElement[]}
 */
function details(outer, schema) {
  /** @type {HTMLElement[]} */
  const out = [];
  const description = outer.description ?? schema.description;
  if (description) out.push(h('p', { class: 'prop-desc' }, ...richText(description)));
  const values = 'const' in schema ? [schema.const] : Array.isArray(schema.enum) ? schema.enum : null;
  if (values) {
    out.push(
      h(
        'p',
        { class: 'prop-note', 'data-testid': 'enum' },
        values.length === 1 ? 'Always ' : 'One of ',
        ...values.flatMap((value, i) => [i ? ', ' : '', h('code', {}, json(value))]),
      ),
    );
  }
  if ('default' in schema)
    out.push(h('p', { class: 'prop-note' }, 'Default ', h('code', {}, json(schema.default))));
  const example =
    outer.example ?? schema.example ?? (Array.isArray(schema.examples) ? schema.examples[0] : undefined);
  if (example !== undefined) {
    out.push(
      h('p', { class: 'prop-note' }, 'Example ', h('code', { class: 'example-value' }, json(example))),
    );
  }
  return out;
}

/**
 * @param {string[]} rules
 * @returns {HTMLElement[]}
 */
const chips = (rules) => rules.map((rule) => h('span', { class: 'chip', 'data-testid': 'constraint' }, rule));

/**
 * The fields inside a schema: object properties, array items, or the alternatives of anyOf/oneOf.
 * @param {Schema} schema a resolved schema
 * @param {Set<string>} seen schema names on the current branch (a recursive schema stops there)
 * @returns {HTMLElement | null}
 */
function children(schema, seen) {
  if (schema.type === 'array' || (Array.isArray(schema.type) && schema.type.includes('array'))) {
    const { name, schema: items } = resolve(schema.items);
    if (name && seen.has(name)) return null;
    const inner = children(items, name ? new Set([...seen, name]) : seen);
    return inner && h('div', { class: 'nested' }, h('p', { class: 'nested-label' }, 'Each item:'), inner);
  }
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives)) {
    const blocks = alternatives
      .map((alternative) => {
        const { name, schema: resolved } = resolve(alternative);
        if (name && seen.has(name)) return null;
        const inner = children(resolved, name ? new Set([...seen, name]) : seen);
        return inner && h('li', {}, h('p', { class: 'nested-label' }, typeLabel(alternative)), inner);
      })
      .filter((block) => block !== null);
    if (!blocks.length) return null;
    return h(
      'div',
      { class: 'nested' },
      h('p', { class: 'nested-label' }, schema.oneOf ? 'Exactly one of:' : 'Any of:'),
      h('ul', { class: 'alternatives' }, ...blocks),
    );
  }
  /** @type {Record<string, Schema>} */
  let properties = schema.properties ?? {};
  /** @type {string[]} */
  let required = Array.isArray(schema.required) ? schema.required : [];
  if (Array.isArray(schema.allOf)) {
    for (const part of schema.allOf) {
      const { schema: resolved } = resolve(part);
      properties = { ...properties, ...(resolved.properties ?? {}) };
      required = [...required, ...(resolved.required ?? [])];
    }
  }
  const names = Object.keys(properties);
  const extra = schema.additionalProperties;
  if (!names.length) return null;
  return h(
    'ul',
    { class: 'props' },
    ...names.map((name) => property(name, properties[name] ?? {}, required.includes(name), seen)),
    extra &&
      h(
        'li',
        { class: 'prop prop-extra' },
        typeof extra === 'object' && Object.keys(extra).length
          ? `Other fields: ${typeLabel(extra)}`
          : 'Other fields are accepted.',
      ),
  );
}

/**
 * One field of an object, with what is inside it.
 * @param {string} name
 * @param {Schema} raw
 * @param {boolean} required
 * @param {Set<string>} seen
 */
function property(name, raw, required, seen) {
  const { name: ref, schema } = resolve(raw);
  const recursive = Boolean(ref) && seen.has(ref);
  const inner = recursive ? null : children(schema, ref ? new Set([...seen, ref]) : seen);
  return h(
    'li',
    { class: 'prop', 'data-testid': 'property', 'data-name': name },
    h(
      'p',
      { class: 'prop-head' },
      h('code', { class: 'prop-name' }, name),
      h('span', { class: 'prop-type' }, typeLabel(raw)),
      required
        ? h('span', { class: 'chip chip-required' }, 'required')
        : h('span', { class: 'chip chip-optional' }, 'optional'),
      ...chips(constraints(schema)),
    ),
    ...details(raw, schema),
    recursive && h('p', { class: 'prop-note' }, `${ref}, as above.`),
    inner,
  );
}

/**
 * A request or response body's schema, its name first.
 * @param {Schema} raw
 */
function schemaBlock(raw) {
  const { name, schema } = resolve(raw);
  const seen = new Set(name ? [name] : []);
  return h(
    'div',
    { class: 'schema', 'data-testid': 'schema', 'data-schema': name || null },
    h(
      'p',
      { class: 'schema-head' },
      h('span', { class: 'schema-type' }, name ? `${name}: ${typeLabel(schema)}` : typeLabel(schema)),
      ...chips(constraints(schema)),
    ),
    ...details(raw.$ref ? {} : raw, schema),
    children(schema, seen),
  );
}

/**
 * Media types grouped by identical schema, so `application/json` and `text/event-stream` of the same
 * schema are shown once.
 * @param {Record<string, { schema?: Schema }> | undefined} content
 * @returns {HTMLElement[]}
 */
function contentBlocks(content) {
  /** @type {Map<string, { types: string[], schema: Schema | undefined }>} */
  const groups = new Map();
  for (const [type, media] of Object.entries(content ?? {})) {
    const key = json(media?.schema ?? null);
    const group = groups.get(key);
    if (group) group.types.push(type);
    else groups.set(key, { types: [type], schema: media?.schema });
  }
  return [...groups.values()].map(({ types, schema }) =>
    h(
      'div',
      { class: 'media' },
      h('p', { class: 'media-types' }, ...types.flatMap((type, i) => [i ? ' · ' : '', h('code', {}, type)])),
      schema ? schemaBlock(schema) : h('p', { class: 'prop-note' }, 'No schema given.'),
    ),
  );
}

// --- operations --------------------------------------------------------------------------------

/** @param {Operation} operation */
const anchor = ({ method, path }) =>
  `${method}-${path.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'root'}`;

/**
 * @param {Record<string, any>} scheme an entry of components.securitySchemes
 * @returns {string}
 */
function describeScheme(scheme) {
  if (scheme?.type === 'http' && /^bearer$/i.test(scheme.scheme ?? ''))
    return 'Authorization: Bearer <token>';
  if (scheme?.type === 'http') return `HTTP ${scheme.scheme ?? ''} authentication`.replace('  ', ' ');
  if (scheme?.type === 'apiKey') return `${scheme.name} (${scheme.in})`;
  return scheme?.type ?? 'a credential';
}

/** @param {Record<string, any>} op */
function securityNote(op) {
  const requirements = op.security ?? spec.security;
  if (!Array.isArray(requirements) || !requirements.length) return null;
  const schemes = spec.components?.securitySchemes ?? {};
  const names = [...new Set(requirements.flatMap((/** @type {object} */ r) => Object.keys(r)))];
  if (!names.length) return null;
  return h(
    'p',
    { class: 'op-auth', 'data-testid': 'op-auth' },
    'Needs ',
    ...names.flatMap((name, i) => [
      i ? ' or ' : '',
      h('code', {}, describeScheme(schemes[name])),
      ` (${name})`,
    ]),
    '.',
  );
}

/** @param {Parameter[]} parameters */
function parameterList(parameters) {
  return h(
    'ul',
    { class: 'props' },
    ...parameters.map((param) => {
      const { schema } = resolve(param.schema);
      return h(
        'li',
        { class: 'prop', 'data-testid': 'parameter', 'data-name': param.name },
        h(
          'p',
          { class: 'prop-head' },
          h('code', { class: 'prop-name' }, param.name),
          h('span', { class: 'chip chip-where' }, `in ${param.in}`),
          h('span', { class: 'prop-type' }, typeLabel(param.schema)),
          param.required
            ? h('span', { class: 'chip chip-required' }, 'required')
            : h('span', { class: 'chip chip-optional' }, 'optional'),
          ...chips(constraints(schema)),
        ),
        ...details({ description: param.description, example: param.example }, schema),
      );
    }),
  );
}

/**
 * @param {string} status e.g. `200`, `4XX`, `default`
 * @param {Record<string, any>} response
 */
function responseBlock(status, response) {
  const kind = /^[1-5]/.test(status) ? `status-${status[0]}xx` : 'status-other';
  return h(
    'details',
    { class: 'response', 'data-testid': 'response', 'data-status': status, open: status.startsWith('2') },
    h(
      'summary',
      { class: 'response-summary' },
      h('span', { class: `status ${kind}` }, status),
      h('span', { class: 'response-desc' }, ...richText(response.description ?? '')),
    ),
    ...(response.content ? contentBlocks(response.content) : [h('p', { class: 'prop-note' }, 'No body.')]),
  );
}

/** @param {Operation} operation */
function operationSection(operation) {
  const { method, path, op, parameters } = operation;
  const id = anchor(operation);
  const body = op.requestBody;
  const responses = Object.entries(op.responses ?? {});
  return h(
    'section',
    {
      id,
      class: 'op',
      'data-testid': 'operation',
      'data-method': method,
      'data-path': path,
      'aria-labelledby': `${id}-title`,
    },
    h(
      'h3',
      { id: `${id}-title`, class: 'op-title' },
      h('span', { class: `method method-${method}` }, method.toUpperCase()),
      ' ',
      h('code', { class: 'op-path' }, path),
    ),
    op.summary && h('p', { class: 'op-summary' }, ...richText(op.summary)),
    op.description && h('p', { class: 'op-desc' }, ...richText(op.description)),
    op.deprecated && h('p', { class: 'op-auth' }, 'Deprecated.'),
    securityNote(op),
    parameters.length > 0 && h('h4', { class: 'op-label' }, 'Parameters'),
    parameters.length > 0 && parameterList(parameters),
    body &&
      h(
        'h4',
        { class: 'op-label' },
        'Request body',
        h('span', { class: 'op-label-note' }, body.required ? ' required' : ' optional'),
      ),
    body?.description && h('p', { class: 'op-desc' }, ...richText(body.description)),
    ...(body ? contentBlocks(body.content) : []),
    responses.length > 0 && h('h4', { class: 'op-label' }, 'Responses'),
    responses.length > 0 &&
      h(
        'div',
        { class: 'responses' },
        ...responses.map(([status, response]) => responseBlock(status, response)),
      ),
    method === 'get' && !body && tryIt(operation),
  );
}

// --- try it ------------------------------------------------------------------------------------

/**
 * A form that sends the GET request with the values typed in and shows the answer.
 * @param {Operation} operation
 */
function tryIt(operation) {
  const id = `${anchor(operation)}-try`;
  const usable = operation.parameters.filter((p) => p.in === 'path' || p.in === 'query');
  const inputs = usable.map((param) => {
    const { schema } = resolve(param.schema);
    const numeric = schema.type === 'integer' || schema.type === 'number';
    const example = param.example ?? schema.example;
    return {
      param,
      input: /** @type {HTMLInputElement} */ (
        h('input', {
          id: `${id}-${param.name}`,
          class: 'try-input',
          name: param.name,
          type: numeric ? 'number' : 'text',
          value: example === undefined ? null : String(example),
          required: Boolean(param.required),
          maxlength: typeof schema.maxLength === 'number' ? schema.maxLength : null,
          min: numeric ? schema.minimum : null,
          max: numeric ? schema.maximum : null,
          step: schema.type === 'integer' ? 1 : null,
          'data-testid': 'try-input',
        })
      ),
    };
  });
  const output = h('div', { class: 'try-output', 'aria-live': 'polite', 'data-testid': 'try-output' });
  const send = h('button', { type: 'submit', class: 'button button-primary' }, 'Send request');

  const url = () => {
    let path = operation.path;
    const query = new URLSearchParams();
    for (const { param, input } of inputs) {
      const value = input.value.trim();
      if (param.in === 'path') path = path.replace(`{${param.name}}`, encodeURIComponent(value));
      else if (value) query.set(param.name, value);
    }
    const search = query.toString();
    return search ? `${path}?${search}` : path;
  };

  const run = async () => {
    const target = url();
    send.setAttribute('disabled', '');
    output.replaceChildren(h('p', { class: 'try-status' }, `GET ${target} …`));
    const started = performance.now();
    try {
      const res = await fetch(target, { headers: withToken({ Accept: 'application/json' }) });
      const text = await res.text();
      const ms = Math.round(performance.now() - started);
      if (res.status === 401) {
        const rejected = Boolean(getToken());
        const form = tokenForm({ rejected, onToken: run });
        output.replaceChildren(
          h('p', { class: 'try-status' }, `GET ${target} → 401 ${res.statusText}`),
          form.element,
        );
        form.focus();
        return;
      }
      let shown = text;
      try {
        shown = JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        // not JSON: shown as it came
      }
      if (shown.length > MAX_SHOWN_CHARS) shown = `${shown.slice(0, MAX_SHOWN_CHARS)}\n… (cut here)`;
      output.replaceChildren(
        h(
          'p',
          { class: 'try-status' },
          `GET ${target} → `,
          h('span', { class: `status status-${String(res.status)[0]}xx` }, String(res.status)),
          ` ${res.statusText} · ${ms} ms`,
        ),
        h(
          'pre',
          { class: 'try-body', tabindex: '0', 'aria-label': 'Response body', 'data-testid': 'try-body' },
          shown,
        ),
      );
    } catch {
      output.replaceChildren(h('p', { class: 'try-status try-error' }, "Couldn't reach the server."));
    } finally {
      send.removeAttribute('disabled');
    }
  };

  const curl = h('code', {});
  const updateCurl = () => {
    const auth = getToken() ? ` -H "Authorization: Bearer $FOOTNOTE_API_TOKEN"` : '';
    curl.textContent = `curl -s '${location.origin}${url()}'${auth}`;
  };
  for (const { input } of inputs) input.addEventListener('input', updateCurl);
  updateCurl();

  return h(
    'form',
    {
      class: 'try',
      'aria-labelledby': `${id}-title`,
      'data-testid': 'try-it',
      onsubmit: (/** @type {SubmitEvent} */ event) => {
        event.preventDefault();
        updateCurl();
        run();
      },
    },
    h('h4', { id: `${id}-title`, class: 'op-label' }, 'Try it'),
    ...inputs.map(({ param, input }) =>
      h(
        'p',
        { class: 'try-field' },
        h('label', { for: input.id }, h('code', {}, param.name), param.required ? '' : ' (optional)'),
        input,
      ),
    ),
    h('p', { class: 'try-actions' }, send),
    h('pre', { class: 'try-curl' }, curl),
    output,
  );
}

// --- the page ----------------------------------------------------------------------------------

/** @returns {Operation[]} every operation, in the order of GROUPS, then the document's order */
function operations() {
  /** @type {Operation[]} */
  const ops = [];
  for (const [path, item] of Object.entries(spec.paths ?? {})) {
    for (const [method, op] of Object.entries(item ?? {})) {
      if (!METHODS.includes(method) || !op || typeof op !== 'object') continue;
      // Path-level parameters apply to every method unless the operation redefines them.
      /** @type {Map<string, Parameter>} */
      const params = new Map();
      for (const raw of [...(item.parameters ?? []), ...(op.parameters ?? [])]) {
        const param = /** @type {Parameter} */ (resolve(raw).schema);
        if (param?.name) params.set(`${param.in}:${param.name}`, param);
      }
      ops.push({ method, path, op, parameters: [...params.values()] });
    }
  }
  return ops;
}

/** @param {string} path */
const groupOf = (path) =>
  GROUPS.find((g) => path === g.prefix || path.startsWith(`${g.prefix}/`) || !g.prefix) ?? GROUPS[0];

function render() {
  const info = spec.info ?? {};
  if (info.title) {
    $('docs-title').textContent = `${info.title} API`;
    document.title = `${info.title} API reference`;
  }
  $('docs-meta').textContent = [
    info.version && `Version ${info.version}`,
    spec.openapi && `OpenAPI ${spec.openapi}`,
  ]
    .filter(Boolean)
    .join(' · ');
  if (info.description) $('docs-desc').replaceChildren(...richText(info.description));
  $('docs-origin').textContent = location.origin;

  const all = operations();
  const toc = $('toc');
  const main = $('docs-body');
  for (const group of GROUPS) {
    const ops = all.filter((operation) => groupOf(operation.path) === group);
    if (!ops.length) continue;
    const groupId = `group-${group.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
    toc.append(
      h(
        'li',
        {},
        h('a', { class: 'toc-group', href: `#${groupId}` }, group.title),
        h(
          'ol',
          {},
          ...ops.map((operation) =>
            h(
              'li',
              {},
              h(
                'a',
                { class: 'toc-op', href: `#${anchor(operation)}` },
                h(
                  'span',
                  { class: `method method-${operation.method} toc-method` },
                  operation.method.toUpperCase(),
                ),
                h('span', { class: 'toc-path' }, operation.path),
              ),
            ),
          ),
        ),
      ),
    );
    main.append(
      h(
        'section',
        { class: 'group', id: groupId, 'aria-labelledby': `${groupId}-title` },
        h('h2', { id: `${groupId}-title`, class: 'group-title' }, group.title),
        ...ops.map(operationSection),
      ),
    );
  }
  $('docs-status').hidden = true;
  // The page was built after load, so the browser could not scroll to a #fragment yet.
  if (location.hash) document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
}

async function main() {
  const status = $('docs-status');
  try {
    const res = await fetch('/openapi.json', { headers: { Accept: 'application/json' } });
    if (!res.ok) throw new Error(`the server answered ${res.status}`);
    spec = await res.json();
  } catch (error) {
    status.textContent = `Couldn't load the API description from /openapi.json (${
      error instanceof Error ? error.message : String(error)
    }). Reload to try again.`;
    status.classList.add('docs-status-error');
    return;
  }
  render();
}

main();
