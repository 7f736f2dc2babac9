/**
 * A sweep file's YAML with its positions kept, so that a mistake found in the parsed value (a zod path such
 * as `parameters.tau.values[2]`) can be shown at the line and column where the user typed it.
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { showPath } from '@l2x/errors';
import { SweepFileError } from './sweep-file-error.ts';

type Path = ReadonlyArray<PropertyKey>;

export class YamlSource {
  readonly file: string;
  readonly value: unknown;
  private readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();

  /** Parses `text`; a YAML syntax error is thrown as a SweepFileError at the parser's line and column. */
  constructor(text: string, file: string) {
    this.file = file;
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    const error = this.doc.errors[0];
    if (error) {
      const { line, col } = this.lines.linePos(error.pos[0]);
      const message =
        error.code === 'MULTIPLE_DOCS' ? 'a sweep file is one YAML document; this one has another after ---' : oneLine(error.message);
      throw new SweepFileError({ file, line, col, keyPath: '' }, `invalid YAML: ${message}`);
    }
    this.value = this.doc.toJS({ maxAliasCount: 100 });
  }

  /** True when the document is a mapping (the only shape a sweep file can have). */
  get isMapping(): boolean {
    return isMap(this.doc.contents);
  }

  /**
   * The offset of the node at `path`: the value there, or with `key` the key that ends the path (for an
   * unknown key). A path that goes past what the file has (a missing key) stops at its last existing node.
   */
  offsetOf(path: Path, options: { key?: boolean } = {}): number {
    let node: Node | null = this.doc.contents;
    let offset = node?.range?.[0] ?? 0;
    for (let i = 0; i < path.length && node; i++) {
      if (isAlias(node)) node = node.resolve(this.doc) ?? null;
      const part = path[i]!;
      let next: Node | null = null;
      if (isMap(node)) {
        const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(part));
        if (!pair) break;
        const keyNode = isScalar(pair.key) ? pair.key : null;
        if (i === path.length - 1 && options.key && keyNode?.range) return keyNode.range[0];
        next = (pair.value as Node | null) ?? null;
        // `key:` with nothing after it: point at the key.
        if (!next?.range && keyNode?.range) return keyNode.range[0];
      } else if (isSeq(node) && typeof part === 'number') {
        next = (node.items[part] as Node | undefined) ?? null;
      }
      if (!next?.range) break;
      node = next;
      offset = next.range![0];
    }
    return offset;
  }

  /** A one-line error at `path`: `FILE:LINE:COL: KEY.PATH: detail`. */
  errorAt(path: Path, detail: string, options: { key?: boolean; keyPath?: string; offset?: number } = {}): SweepFileError {
    const offset = options.offset ?? this.offsetOf(path, options);
    const { line, col } = this.lines.linePos(offset);
    return new SweepFileError({ file: this.file, line, col, keyPath: options.keyPath ?? showPath(path) }, detail);
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
