// The QR code arrives as SVG text drawn by our own server. It is still parsed as an image and
// rebuilt from a short list of drawing elements and attributes: nothing from the string can run or
// load anything, whatever it holds.
const SVG_NS = 'http://www.w3.org/2000/svg';
const ELEMENTS = new Set(['svg', 'g', 'path', 'rect']);
const ATTRIBUTES = new Set(['viewBox', 'width', 'height', 'shape-rendering', 'fill', 'stroke', 'stroke-width', 'd', 'x', 'y', 'transform']);

export function safeSvg(text: string): SVGSVGElement | null {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const source = doc.documentElement;
  if (source.namespaceURI !== SVG_NS || source.localName !== 'svg' || doc.getElementsByTagName('parsererror').length) return null;
  const copy = (node: Element): Element | null => {
    if (node.namespaceURI !== SVG_NS || !ELEMENTS.has(node.localName)) return null;
    const el = document.createElementNS(SVG_NS, node.localName);
    for (const a of Array.from(node.attributes)) if (!a.namespaceURI && ATTRIBUTES.has(a.name)) el.setAttribute(a.name, a.value);
    for (const child of Array.from(node.children)) {
      const c = copy(child);
      if (c) el.append(c);
    }
    return el;
  };
  return copy(source) as SVGSVGElement | null;
}
