/**
 * Vega-Lite specs to files in Node, without a browser: vega-lite compiles to Vega, Vega renders headless to
 * SVG (renderer `none`, no canvas needed), and resvg rasterizes the SVG to PNG.
 */
import { Resvg } from '@resvg/resvg-js';
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

/** PNG of an SVG at `scale` × its size, with the system's fonts (DejaVu Sans on most Linux machines). */
export function renderPng(svg: string, scale = 1.5): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}
