/**
 * A child process of the sweeper (resources.ts): lists the WebGPU adapters, or why there are none, as one JSON
 * line on stdout (an AdapterListing). Apart from the sweeper because Dawn writes its own warnings to stderr (four
 * lines on lavapipe), which would land above the live screen, and because a driver that crashes Dawn should take
 * down only this. Where several adapters share a name it also tries whether Mesa's device-select layer shows it
 * the card on the bus the sweeper gave (PROBE_PCI_ENV) alone: what binding workers to identical cards needs.
 */
import { singlesOutCard, webgpuStatus } from '@l2x/model/webgpu';
import { PROBE_PCI_ENV, type AdapterListing } from './resources.ts';

const listing: AdapterListing = await webgpuStatus();
const names = listing.adapters.map((a) => a.name);
const probe = process.env[PROBE_PCI_ENV];
if (probe && new Set(names).size < names.length) listing.singledOut = await singlesOutCard(probe);
process.stdout.write(`${JSON.stringify(listing)}\n`);
