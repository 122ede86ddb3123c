/**
 * xml(), xpath() and json() of XML, as the workflow language has them. XML travels between
 * functions as its text; json() of XML follows the Newtonsoft convention the guide shows
 * ("@attribute", "#text", repeated elements as arrays, "?xml" for the declaration). Parsing is
 * xmldom's (no DTD or external entity is ever fetched), selection is the xpath package's XPath 1.0.
 */
import { DOMParser, XMLSerializer } from '@xmldom/xmldom'
import * as xpathLib from 'xpath'

type Json = unknown

/** Documents larger than this are refused (a flow's XML is a message, not a data set). */
const MAX_XML = 10 * 1024 * 1024

export function looksLikeXml(text: string): boolean {
  return /^\s*</.test(text)
}

function parseDocument(text: string): Document {
  if (text.length > MAX_XML) throw new Error(`the XML is larger than ${MAX_XML / 1024 / 1024} MB`)
  if (/<!DOCTYPE/i.test(text))
    throw new Error('XML with a DOCTYPE is not accepted (entities are never expanded)')
  const errors: string[] = []
  let doc: ReturnType<DOMParser['parseFromString']> | undefined
  try {
    doc = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') errors.push(String(message).split('\n')[0] as string)
      },
    }).parseFromString(text, 'text/xml')
  } catch (error) {
    errors.push(String((error as Error).message).split('\n')[0] as string)
  }
  if (errors.length || !doc?.documentElement) throw new Error(`not XML: ${errors[0] ?? 'no root element'}`)
  return doc as unknown as Document
}

const ELEMENT = 1
const TEXT = 3
const CDATA = 4

function elementToJson(element: Element): Json {
  const out: Record<string, Json> = {}
  for (const attribute of Array.from(element.attributes)) out[`@${attribute.name}`] = attribute.value
  const texts: string[] = []
  for (const child of Array.from(element.childNodes)) {
    if (child.nodeType === ELEMENT) {
      const name = child.nodeName
      const value = elementToJson(child as Element)
      const existing = out[name]
      if (existing === undefined) out[name] = value
      else if (Array.isArray(existing)) existing.push(value)
      else out[name] = [existing, value]
    } else if ((child.nodeType === TEXT || child.nodeType === CDATA) && child.nodeValue?.trim())
      texts.push(child.nodeValue.trim())
  }
  const keys = Object.keys(out)
  if (keys.length === 0) return texts.length ? texts.join('') : null
  if (texts.length) out['#text'] = texts.join('')
  return out
}

/** json(xml): the document as Newtonsoft's SerializeXmlNode writes it. */
export function xmlToJson(text: string): Json {
  const doc = parseDocument(text)
  const out: Record<string, Json> = {}
  const declaration = /^\s*<\?xml\s+([^?]*)\?>/.exec(text)
  if (declaration) {
    const attributes: Record<string, string> = {}
    for (const match of (declaration[1] as string).matchAll(/([\w:-]+)\s*=\s*(["'])(.*?)\2/g))
      attributes[`@${match[1]}`] = match[3] as string
    out['?xml'] = attributes
  }
  const root = doc.documentElement
  out[root.nodeName] = elementToJson(root)
  return out
}

/** xml(value): XML text given as text (checked), or an object with one root property. */
export function toXml(value: Json): string {
  if (typeof value === 'string') {
    if (looksLikeXml(value)) {
      parseDocument(value)
      return value.trim()
    }
    let parsed: Json
    try {
      parsed = JSON.parse(value)
    } catch {
      throw new Error('xml() needs XML text or a JSON object with one root property')
    }
    return toXml(parsed)
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new Error('xml() needs a JSON object with one root property (an array has no root element)')
  const entries = Object.entries(value).filter(([k]) => k !== '?xml')
  if (entries.length !== 1)
    throw new Error(`xml() needs an object with exactly one root property, got ${entries.length}`)
  const [rootName, rootValue] = entries[0] as [string, Json]
  const doc = new DOMParser().parseFromString('<x/>', 'text/xml') as unknown as Document
  const build = (name: string, node: Json): Element[] => {
    if (Array.isArray(node)) return node.flatMap((item) => build(name, item))
    if (!/^[A-Za-z_][\w.-]*(:[A-Za-z_][\w.-]*)?$/.test(name))
      throw new Error(`'${name}' cannot be an XML element name`)
    const element = doc.createElement(name)
    if (node && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (key.startsWith('@')) element.setAttribute(key.slice(1), String(child ?? ''))
        else if (key === '#text') element.appendChild(doc.createTextNode(String(child ?? '')))
        else for (const built of build(key, child)) element.appendChild(built)
      }
    } else if (node !== null && node !== undefined) element.appendChild(doc.createTextNode(String(node)))
    return [element]
  }
  const roots = build(rootName, rootValue)
  if (roots.length !== 1) throw new Error('xml() needs one root element; the root property is an array')
  return new XMLSerializer().serializeToString(roots[0] as never)
}

/** xpath(xml, expression): one match gives its value, several an array; numbers and strings as they are. */
export function xpath(xml: Json, expression: Json): Json {
  if (typeof xml !== 'string') throw new Error('xpath() needs XML (use xml() to convert a JSON object)')
  if (typeof expression !== 'string') throw new Error('xpath() needs an XPath expression as a string')
  const doc = parseDocument(xml)
  let result: xpathLib.SelectReturnType
  try {
    result = xpathLib.select(expression, doc as unknown as Node)
  } catch (error) {
    throw new Error(`'${expression}' is not an XPath expression: ${(error as Error).message}`)
  }
  if (!Array.isArray(result)) return result as Json
  const serializer = new XMLSerializer()
  const values = result.map((node) =>
    node.nodeType === ELEMENT
      ? serializer.serializeToString(node as never)
      : (node.nodeValue ?? node.textContent ?? ''),
  )
  if (values.length === 1) return values[0]
  return values
}
