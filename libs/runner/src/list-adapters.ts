/**
 * A child process of the sweeper (resources.ts): lists the WebGPU adapters, or why there are none, as one JSON
 * line on stdout. Apart from the sweeper because Dawn writes its own warnings to stderr (four lines on lavapipe),
 * which would land above the live screen, and because a driver that crashes Dawn should take down only this.
 */
import { webgpuStatus } from '@l2x/model/webgpu';

process.stdout.write(`${JSON.stringify(await webgpuStatus())}\n`);
