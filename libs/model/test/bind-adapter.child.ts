/**
 * Run by webgpu.test.ts in a fresh process (Vulkan's loader and Mesa's layer read their environment when Dawn
 * creates its instance, once per process): lists the adapters, or binds one by name and PCI bus, and prints the
 * outcome as one JSON line on stdout.
 *   bind-adapter.child.ts list
 *   bind-adapter.child.ts bind <name> <pci bus>
 *   bind-adapter.child.ts probe <pci bus>
 */
import { bindAdapter, deviceLabel, listAdapters, singlesOutCard } from '../src/webgpu.ts';

const [mode, name, pciBusId] = process.argv.slice(2);
try {
  if (mode === 'list') console.log(JSON.stringify({ names: (await listAdapters()).map((a) => a.name) }));
  else if (mode === 'probe') console.log(JSON.stringify({ singledOut: await singlesOutCard(name!), after: (await listAdapters()).length }));
  else {
    const adapter = await bindAdapter({ adapter: name, pciBusId, allowSoftware: true });
    console.log(JSON.stringify({ device: deviceLabel(adapter), visible: (await listAdapters()).length }));
  }
} catch (error) {
  console.log(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
}
