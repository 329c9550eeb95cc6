/**
 * The XML writer of outgoing messages: an element tree built in the order the builders call it, then
 * written out in one pass. It offers the part of xmlbuilder2's builder interface our builders use
 * (`ele`, `att`, `txt`, `end({ prettyPrint })`) and writes the same bytes, which a test checks against
 * xmlbuilder2 for every message kind (docs/decisions.md §37): xmlbuilder2 builds a full DOM with the
 * DOM standard's namespace algorithms, about 1 ms for a 28-slot HentLedigeTimer answer, a third of the
 * whole request; this writer does it in a few hundredths of that.
 *
 * Namespaces as in xmlbuilder2: `ele(ns, name)` puts the element in `ns` (declared where it differs from
 * the parent's default namespace, or for a prefix not yet declared), `ele(name)` inherits the parent's
 * namespace; `att(XMLNS, 'xmlns:p', uri)` declares a prefix. Text and attribute values are escaped
 * (every `&`, `<`, `>`, and `"` in attributes).
 */

const XMLNS = 'http://www.w3.org/2000/xmlns/';

export interface XmlDeclaration {
  version: string;
  encoding?: string;
}

interface Attribute {
  name: string;
  value: string;
}

/** An element under construction. */
export class XmlElement {
  private readonly attributes: Attribute[] = [];
  private readonly children: Array<XmlElement | string> = [];

  /** @internal use {@link createXml} */
  constructor(
    private readonly root: XmlDocument,
    readonly namespace: string | null,
    readonly qualifiedName: string,
  ) {}

  /** Appends a child element in the parent's namespace, or in `namespace` (then `name` may carry a prefix). */
  ele(name: string): XmlElement;
  ele(namespace: string, name: string): XmlElement;
  ele(a: string, b?: string): XmlElement {
    const child = b === undefined ? new XmlElement(this.root, this.namespace, a) : new XmlElement(this.root, a, b);
    this.children.push(child);
    return child;
  }

  /** Sets an attribute (an `xmlns:p` attribute in the XMLNS namespace declares prefix `p`). */
  att(name: string, value: string): XmlElement;
  att(namespace: string, name: string, value: string): XmlElement;
  att(a: string, b: string, c?: string): XmlElement {
    const name = c === undefined ? a : b;
    const value = c === undefined ? b : c;
    if (c !== undefined && a !== XMLNS) throw new Error(`xml.writer: attributes in namespace ${a} are not supported`);
    const existing = this.attributes.find((x) => x.name === name);
    if (existing) existing.value = value;
    else this.attributes.push({ name, value });
    return this;
  }

  /** Appends text (empty text adds nothing: the element is written `<a/>`, as xmlbuilder2 does). */
  txt(text: string): XmlElement {
    if (text !== '') this.children.push(text);
    return this;
  }

  /** The whole document (from its root, whichever element this is called on). */
  end(options: { prettyPrint?: boolean } = {}): string {
    return this.root.serialize(options.prettyPrint === true);
  }

  /** @internal */
  write(out: string[], pretty: boolean, depth: number, inheritedNs: string | null, prefixes: ReadonlyMap<string, string>): void {
    const indent = pretty ? '  '.repeat(depth) : '';
    let open = `${indent}<${this.qualifiedName}`;
    const colon = this.qualifiedName.indexOf(':');
    const prefix = colon > 0 ? this.qualifiedName.slice(0, colon) : null;
    let defaultNs = inheritedNs;
    let scope = prefixes;
    // prefix declarations made by attributes of this element
    for (const a of this.attributes) {
      if (a.name.startsWith('xmlns:')) {
        if (scope === prefixes) scope = new Map(prefixes);
        (scope as Map<string, string>).set(a.name.slice(6), a.value);
      }
    }
    if (prefix === null) {
      if (this.namespace !== inheritedNs) {
        open += ` xmlns="${escapeAttribute(this.namespace ?? '')}"`;
        defaultNs = this.namespace;
      }
    } else if (this.namespace !== null && scope.get(prefix) !== this.namespace) {
      open += ` xmlns:${prefix}="${escapeAttribute(this.namespace)}"`;
      if (scope === prefixes) scope = new Map(prefixes);
      (scope as Map<string, string>).set(prefix, this.namespace);
    }
    for (const a of this.attributes) open += ` ${a.name}="${escapeAttribute(a.value)}"`;
    const children = this.children;
    if (children.length === 0) {
      out.push(`${open}/>`);
      return;
    }
    if (children.every((c) => typeof c === 'string')) {
      out.push(`${open}>${children.map(escapeText).join('')}</${this.qualifiedName}>`);
      return;
    }
    out.push(`${open}>`);
    for (const c of children) {
      if (typeof c === 'string') out.push(`${pretty ? '  '.repeat(depth + 1) : ''}${escapeText(c)}`);
      else c.write(out, pretty, depth + 1, defaultNs, scope);
    }
    out.push(`${indent}</${this.qualifiedName}>`);
  }
}

class XmlDocument {
  element: XmlElement | null = null;

  constructor(private readonly declaration: XmlDeclaration) {}

  serialize(pretty: boolean): string {
    if (this.element === null) throw new Error('xml.writer: a document without a root element');
    const d = this.declaration;
    const out = [`<?xml version="${d.version}"${d.encoding ? ` encoding="${d.encoding}"` : ''}?>`];
    this.element.write(out, pretty, 0, null, new Map());
    return out.join(pretty ? '\n' : '');
  }
}

/** The document's start: `createXml(decl).ele(ns, 'Root')` gives the root element. */
export function createXml(declaration: XmlDeclaration): { ele(namespace: string, name: string): XmlElement } {
  const doc = new XmlDocument(declaration);
  return {
    ele(namespace: string, name: string): XmlElement {
      if (doc.element !== null) throw new Error('xml.writer: a document has one root element');
      doc.element = new XmlElement(doc, namespace, name);
      return doc.element;
    },
  };
}

const TEXT_SPECIAL = /[&<>]/;
const ATTRIBUTE_SPECIAL = /[&<>"]/;

function escapeText(s: string): string {
  if (!TEXT_SPECIAL.test(s)) return s;
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttribute(s: string): string {
  if (!ATTRIBUTE_SPECIAL.test(s)) return s;
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
