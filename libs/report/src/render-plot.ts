/**
 * Vega-Lite specs to files in Node, without a browser: vega-lite compiles to Vega, Vega renders headless to
 * SVG (renderer `none`, no canvas needed), and resvg rasterizes the SVG to PNG.
 */
import { existsSync } from 'node:fs';
import { Resvg, renderAsync, type ResvgRenderOptions } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Warnings from vega(-lite) are for spec authors, not report readers: only errors get through. */
const quiet = vega.logger(vega.Error);

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec, { logger: quiet }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** DejaVu Sans, where Debian and Ubuntu put it: loading two font files is faster than scanning the system's. */
const DEJAVU = ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf'];
let fonts: { loadSystemFonts: boolean; fontFiles?: string[]; defaultFontFamily?: string; sansSerifFamily?: string } | undefined;

function pngOptions(scale: number): ResvgRenderOptions {
  fonts ??= DEJAVU.every((file) => existsSync(file))
    ? { loadSystemFonts: false, fontFiles: DEJAVU, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' }
    : { loadSystemFonts: true };
  return { fitTo: { mode: 'zoom', value: scale }, background: 'white', font: fonts };
}

/** PNG of an SVG at `scale` × its size, in DejaVu Sans when the system has it (else its default sans-serif). */
export function renderPng(svg: string, scale = 1.5): Buffer {
  return new Resvg(svg, pngOptions(scale)).render().asPng();
}

/** The same, parsed and rasterized on libuv's thread pool: the main thread draws the next plot meanwhile. */
export async function renderPngAsync(svg: string, scale = 1.5): Promise<Buffer> {
  return (await renderAsync(svg, pngOptions(scale))).asPng();
}
